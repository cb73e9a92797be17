package net

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/csp"
)

// A plain remote write that completes at once is served on the link's reader goroutine, and one
// that must wait by the home's goroutine. With a slow reader behind a small buffer a stream takes
// both ways by turns; every value still arrives once and in order, and the writer's poison, sent
// after its last write returned, reaches the reader only after every value.
func TestRemoteWritesKeepOrderAcrossPaths(t *testing.T) {
	ns := nodes(t, 2)
	ch := csp.NewChan[int](csp.Buffered(2), csp.Named("s"))
	require.NoError(t, Export(ns[1], "s", ch))
	w, err := OpenWriter[int](ctxT(t), ns[0], ns[1].Addr()+"/s")
	require.NoError(t, err)
	n := 500 * stress()
	werr := make(chan error, 1)
	go func() {
		for i := range n {
			if err := w.Write(i); err != nil {
				werr <- err
				return
			}
		}
		w.Poison()
		werr <- nil
	}()
	r := ch.Reader()
	for i := range n {
		if i%3 == 0 {
			runtime.Gosched() // let the buffer fill now and then, so that writes also wait
		}
		v, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	require.NoError(t, <-werr)
	_, err = r.Read()
	require.ErrorIs(t, err, csp.ErrPoisoned)
}

// A batch larger than the link keeps between writes is written whole, and the link goes on with
// a fresh buffer: a large value and the small ones after it all arrive intact.
func TestLinkWritesAfterALargeBatch(t *testing.T) {
	ns := nodes(t, 2)
	ch := csp.NewChan[[]byte](csp.Buffered(4), csp.Named("b"))
	require.NoError(t, Export(ns[1], "b", ch, WithCodec(Raw{})))
	w, err := OpenWriter[[]byte](ctxT(t), ns[0], ns[1].Addr()+"/b", WithCodec(Raw{}))
	require.NoError(t, err)
	big := make([]byte, 2*keepWriteBuf)
	for i := range big {
		big[i] = byte(i % 251)
	}
	r := ch.Reader()
	for round := range 3 {
		require.NoError(t, w.Write(big))
		got, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, big, got, "round %d", round)
		for i := range 5 {
			require.NoError(t, w.Write([]byte{byte(round), byte(i)}))
			got, err := r.Read()
			require.NoError(t, err)
			require.Equal(t, []byte{byte(round), byte(i)}, got)
		}
	}
}
