package net

import (
	"context"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// TestRemoteWaitIsLive: processes blocked on remote ends (a read, and a selection with a remote
// guard) count as live for deadlock detection, since what they wait for happens on another node.
// The network is a would-be cycle: "reader" waits on a remote channel, "holder" waits for "reader",
// "alt" waits for "holder" or a remote channel. With the remote waits counted as blocked it would
// be reported as a deadlock (the control, with the remote channels replaced by local ones whose
// writers "holder" owns, is); it is not one, and the values come later from the other node.
func TestRemoteWaitIsLive(t *testing.T) {
	for _, remote := range []bool{true, false} {
		name := map[bool]string{true: "remote", false: "control"}[remote]
		t.Run(name, func(t *testing.T) { remoteWaitIsLive(t, remote) })
	}
}

func remoteWaitIsLive(t *testing.T, remote bool) {
	ns := nodes(t, 2)
	a, b := csp.NewChan[int](), csp.NewChan[int]()
	require.NoError(t, Export(ns[0], "a", a))
	require.NoError(t, Export(ns[0], "b", b))
	ra, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/a")
	require.NoError(t, err)
	rb, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/b")
	require.NoError(t, err)
	c1, c2, c3 := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	r1, w1 := c1.Reader(), c1.Writer() // holder → alt
	r2, w2 := c2.Reader(), c2.Writer() // reader → holder
	r3, w3 := c3.Reader(), c3.Writer() // holder → reader, the control's stand-in for a
	c4 := csp.NewChan[int]()
	r4, w4 := c4.Reader(), c4.Writer() // holder → alt, the control's stand-in for b
	if remote {
		w3.Retire()
		w4.Retire()
		go func() {
			time.Sleep(200 * time.Millisecond) // long enough for a monitor to have judged
			a.Writer().Write(1)
			b.Writer().Write(2)
		}()
	} else {
		ra, rb = r3, r4
	}
	m := csp.NewMonitor(csp.OnDeadlock(func(*csp.Deadlock) {}))
	err = csp.ParallelContext(m.Context(context.Background()),
		csp.Proc("reader", func(context.Context) error {
			if _, err := ra.Read(); err != nil {
				return err
			}
			return w2.Write(0)
		}, ra, w2),
		csp.Proc("holder", func(context.Context) error {
			_, err := r2.Read()
			return err
		}, r2, w1, w3, w4),
		csp.Proc("alt", func(context.Context) error {
			g := csp.Recv(rb)
			i, err := csp.NewAlt(g, csp.Recv(r1)).Select()
			if err == nil && (i != 0 || g.Value() != 2) {
				t.Errorf("guard %d fired with %d", i, g.Value())
			}
			return err
		}, rb, r1),
	)
	if remote {
		require.NoError(t, err)
		require.Nil(t, m.Deadlock(), "a wait on a remote end was taken for a deadlock")
	} else {
		require.NotNil(t, m.Deadlock())
	}
}

// A process waiting on a remote end shows what it waits on, as a local wait would: blocked reading
// that channel, not running (and, as TestRemoteWaitIsLive shows, still live).
func TestRemoteWaitShowsWhatItWaitsOn(t *testing.T) {
	ns := nodes(t, 2)
	a := csp.NewChan[int](csp.Named("far"))
	require.NoError(t, Export(ns[0], "far", a))
	r, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/far")
	require.NoError(t, err)
	m := csp.NewMonitor()
	done := make(chan error, 1)
	go func() {
		done <- csp.ParallelContext(m.Context(context.Background()),
			csp.Proc("reader", func(context.Context) error { _, err := r.Read(); return err }, r))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := m.Processes()
		if len(p) == 1 && p[0].State == csp.StateBlockedRead {
			require.Len(t, p[0].Waits, 1)
			require.Equal(t, r.Channel(), p[0].Waits[0].Channel)
			break
		}
		require.True(t, time.Now().Before(deadline), "the reader never showed as blocked-read: %+v", p)
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, a.Writer().Write(7))
	require.NoError(t, <-done)
	m.Wait()
	require.Nil(t, m.Deadlock())
}
