package net

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// TestLinkLostBlockedOps: operations blocked on a remote end (a Read, a Write, selections with an
// input and with an output guard) return ErrLinkLost, not poison, when the link is cut or the peer
// goes silent; so does every later operation on the end. Without a reconnection window, and with
// one that the peer does not come back within.
func TestLinkLostBlockedOps(t *testing.T) {
	for _, c := range []struct {
		how string
		loss
	}{{"cut", losses[0]}, {"cut", losses[1]}, {"silent", losses[0]}, {"silent", losses[1]}} {
		how := c.how
		t.Run(how+"/"+c.name, func(t *testing.T) {
			var f faults
			home, _ := Listen("", fastBeat, c.window)
			defer home.Close()
			user, _ := Listen("", fastBeat, c.window, WithDialer(f.dial))
			defer user.Close()
			in, out := csp.NewChan[int](), csp.NewChan[int]()
			require.NoError(t, Export(home, "in", in))
			require.NoError(t, Export(home, "out", out))
			r, err := OpenReader[int](ctxT(t), user, home.Addr()+"/out")
			require.NoError(t, err)
			w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/in")
			require.NoError(t, err)
			never := csp.NewChan[int]()
			alt := csp.NewAlt(csp.Recv(r), csp.Recv(never.Reader()))
			errs := make(chan error, 4)
			go func() { _, err := r.Read(); errs <- err }()
			go func() { errs <- w.Write(1) }()
			r2, err := OpenReader[int](ctxT(t), user, home.Addr()+"/out")
			require.NoError(t, err)
			alt2 := csp.NewAlt(csp.Recv(r2), csp.Recv(never.Reader()))
			go func() { _, err := alt2.Select(); errs <- err }()
			w2, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/in")
			require.NoError(t, err)
			alt3 := csp.NewAlt(csp.Send(w2, 2), csp.Recv(never.Reader())) // an output guard, nobody reading
			go func() { _, err := alt3.Select(); errs <- err }()
			time.Sleep(50 * time.Millisecond) // let them block (not a timing assertion: any order works)
			if how == "cut" {
				f.lose()
			} else {
				f.silence()
			}
			for range 4 {
				err := <-errs
				require.ErrorIs(t, err, ErrLinkLost)
				require.NotErrorIs(t, err, csp.ErrPoisoned)
			}
			_, err = r.Read()
			require.ErrorIs(t, err, ErrLinkLost)
			_, err = alt.Select()
			require.ErrorIs(t, err, ErrLinkLost)
		})
	}
}

// TestRendezvousNotBuffered: a remote end never makes a rendezvous channel a buffer. A write with no
// reader anywhere does not complete (a local write to a remote reader that is not reading, a remote
// write with no reader), and a value withdrawn that way is never delivered.
func TestRendezvousNotBuffered(t *testing.T) {
	ns := nodes(t, 2)
	ch := csp.NewChan[int]()
	require.NoError(t, Export(ns[0], "c", ch))
	r, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/c")
	require.NoError(t, err)
	w, err := OpenWriter[int](ctxT(t), ns[1], ns[0].Addr()+"/c")
	require.NoError(t, err)
	lw := ch.Writer()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, lw.WriteContext(ctx, 1), context.DeadlineExceeded)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	require.ErrorIs(t, w.WriteContext(ctx2, 2), context.DeadlineExceeded)

	go lw.Write(3)
	v, err := r.Read()
	require.NoError(t, err)
	require.Equal(t, 3, v, "a withdrawn write was delivered")
	go w.Write(4)
	v, err = r.Read()
	require.NoError(t, err)
	require.Equal(t, 4, v)
}

// TestReadContextCancel: a remote read that gives up returns ctx's error, and the value a writer
// then writes goes to the next read, not to the withdrawn one.
func TestReadContextCancel(t *testing.T) {
	ns := nodes(t, 2)
	ch := csp.NewChan[int]()
	require.NoError(t, Export(ns[0], "c", ch))
	r, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/c")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = r.ReadContext(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	go ch.Writer().Write(7)
	v, err := r.Read()
	require.NoError(t, err)
	require.Equal(t, 7, v)
}

// TestPoisonRetireBothWays: poison and retirement cross the link in both directions, with §3's
// buffered rules: a writer's poison lets readers drain, a reader's poison discards.
func TestPoisonRetireBothWays(t *testing.T) {
	ns := nodes(t, 2)
	open := func(buf int) (*csp.Chan[int], *csp.Reader[int], *csp.Writer[int]) {
		ch := csp.NewChan[int](csp.Buffered(buf))
		name := t.Name() + string(rune('a'+len(ns[0].exports)))
		require.NoError(t, Export(ns[0], name, ch))
		r, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/"+name)
		require.NoError(t, err)
		w, err := OpenWriter[int](ctxT(t), ns[1], ns[0].Addr()+"/"+name)
		require.NoError(t, err)
		return ch, r, w
	}
	t.Run("remote writer poison drains", func(t *testing.T) {
		ch, _, w := open(5)
		require.NoError(t, w.Write(1))
		require.NoError(t, w.Write(2))
		w.Poison()
		lr := ch.Reader()
		for _, want := range []int{1, 2} {
			v, err := lr.Read()
			require.NoError(t, err)
			require.Equal(t, want, v)
		}
		_, err := lr.Read()
		require.ErrorIs(t, err, csp.ErrPoisoned)
	})
	t.Run("remote reader poison discards", func(t *testing.T) {
		ch, r, _ := open(5)
		lw := ch.Writer()
		require.NoError(t, lw.Write(1))
		r.Poison()
		require.Eventually(t, func() bool { return ch.Stats().Poisoned }, 5*time.Second, time.Millisecond)
		require.Equal(t, 0, ch.Stats().Len)
		require.ErrorIs(t, lw.Write(2), csp.ErrPoisoned)
	})
	t.Run("local poison reaches remote ends", func(t *testing.T) {
		ch, r, w := open(0)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); _, err := r.Read(); require.ErrorIs(t, err, csp.ErrPoisoned) }()
		ch.Poison()
		wg.Wait()
		require.ErrorIs(t, w.Write(1), csp.ErrPoisoned)
	})
	t.Run("remote writers retire, reader drains", func(t *testing.T) {
		ch, r, w := open(3)
		require.NoError(t, w.Write(1))
		w.Retire()
		require.ErrorIs(t, w.Write(2), csp.ErrRetired)
		v, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, 1, v)
		_, err = r.Read()
		require.ErrorIs(t, err, csp.ErrRetired)
		require.Equal(t, 1, ch.Stats().WritersRetired)
	})
	t.Run("remote reader retires, writers told", func(t *testing.T) {
		ch, r, _ := open(0)
		r.Retire()
		_, err := r.Read()
		require.ErrorIs(t, err, csp.ErrRetired)
		require.ErrorIs(t, ch.Writer().Write(1), csp.ErrRetired)
	})
}

// TestLinkLostPoisonsHome: when a link is lost, a PoisonOnLinkLost home poisons the channel
// through the lost ends, as their processes' failure would have; a LeaveOnLinkLost home (the
// default) retires them, so the channel's last writer leaving ends its readers with ErrRetired;
// with a reconnection window, once it passes.
func TestLinkLostPoisonsHome(t *testing.T) {
	for _, policy := range []LinkLostPolicy{PoisonOnLinkLost, LeaveOnLinkLost} {
		for _, how := range losses {
			t.Run(policy.String()+"/"+how.name, func(t *testing.T) {
				var f faults
				home, _ := Listen("", fastBeat, how.window)
				defer home.Close()
				user, _ := Listen("", fastBeat, how.window, WithDialer(f.dial))
				defer user.Close()
				ch := csp.NewChan[int]()
				require.NoError(t, Export(home, "c", ch, OnLinkLost(policy)))
				_, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c")
				require.NoError(t, err)
				f.lose()
				_, err = ch.Reader().Read()
				require.True(t, errors.Is(err, policyErr(policy)), "%v", err)
				require.Equal(t, policy == PoisonOnLinkLost, ch.Stats().Poisoned)
			})
		}
	}
}
