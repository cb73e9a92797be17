package net

import (
	"errors"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

func TestRemoteWriteLocalRead(t *testing.T) {
	ns := nodes(t, 2)
	ch := csp.NewChan[int](csp.Named("c"))
	require.NoError(t, Export(ns[0], "c", ch))
	w, err := OpenWriter[int](ctxT(t), ns[1], ns[0].Addr()+"/c")
	require.NoError(t, err)
	r := ch.Reader()
	go func() {
		for i := range 100 {
			if err := w.Write(i); err != nil {
				panic(err)
			}
		}
		w.Retire()
	}()
	for i := range 100 {
		v, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	_, err = r.Read()
	require.ErrorIs(t, err, csp.ErrRetired)
}

func TestRemoteReadLocalWrite(t *testing.T) {
	ns := nodes(t, 2)
	ch := csp.NewChan[string]()
	require.NoError(t, Export(ns[0], "c", ch))
	r, err := OpenReader[string](ctxT(t), ns[1], ns[0].Addr()+"/c")
	require.NoError(t, err)
	w := ch.Writer()
	done := make(chan error, 1)
	go func() {
		for _, s := range []string{"a", "b", "c"} {
			if err := w.Write(s); err != nil {
				done <- err
				return
			}
		}
		w.Poison()
		done <- nil
	}()
	for _, s := range []string{"a", "b", "c"} {
		v, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, s, v)
	}
	_, err = r.Read()
	require.ErrorIs(t, err, csp.ErrPoisoned)
	require.NoError(t, <-done)
}

func TestTypeMismatch(t *testing.T) {
	ns := nodes(t, 2)
	require.NoError(t, Export(ns[0], "c", csp.NewChan[int]()))
	_, err := OpenReader[string](ctxT(t), ns[1], ns[0].Addr()+"/c")
	require.ErrorIs(t, err, ErrTypeMismatch)
	require.Contains(t, err.Error(), "int")
	require.Contains(t, err.Error(), "string")
	_, err = OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/c", WithCodec(JSON{}))
	require.ErrorIs(t, err, ErrTypeMismatch)
	require.Contains(t, err.Error(), "(codec cbor)")
	require.Contains(t, err.Error(), "(codec json)")
	_, err = OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/nope")
	require.True(t, errors.Is(err, ErrNoChannel), "%v", err)
}

// TestExportOfARemoteChannel: a channel whose home is another node (a remote end's) cannot be
// exported again: Export says so. It used to succeed, and the first peer that read through it
// ended the process (csp: ReadHeld on a remote end, in the home's goroutine).
func TestExportOfARemoteChannel(t *testing.T) {
	ns := nodes(t, 2)
	r := remoteReader(t, ns, "c", csp.NewChan[int]())
	rc, ok := r.Channel().(*csp.Chan[int])
	require.True(t, ok)
	err := Export(ns[1], "again", rc)
	require.Error(t, err)
	require.ErrorContains(t, err, ns[0].Addr())
	require.Nil(t, ns[1].lookup("again"), "nothing is exported")
}
