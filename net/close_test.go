package net

import (
	"context"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// TestCloseDeliversRetire: a remote writer that writes, retires its end and closes its node at
// once: the home's reader sees the value and then ErrRetired, never ErrPoisoned, even with the
// export poisoning for lost peers (before Close delivered, 19 of 20 runs saw poison: the retire
// was still queued when the link was dropped).
func TestCloseDeliversRetire(t *testing.T) {
	for range 20 * stress() {
		home, err := Listen("", calmBeat)
		require.NoError(t, err)
		ch := csp.NewChan[int](csp.Buffered(1))
		require.NoError(t, Export(home, "c", ch, OnLinkLost(PoisonOnLinkLost)))
		user, err := Listen("", calmBeat)
		require.NoError(t, err)
		w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c")
		require.NoError(t, err)
		require.NoError(t, w.Write(7))
		w.Retire()
		require.NoError(t, user.Close())
		r := ch.Reader()
		v, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, 7, v)
		_, err = r.Read()
		require.ErrorIs(t, err, csp.ErrRetired)
		require.NoError(t, home.Close())
	}
}

// TestCloseDeliversAcknowledgement: a remote reader takes a value and its node closes at once: the
// home's writer learns that the value was taken (its Write returns nil) instead of failing with
// ErrLinkLost for a value that was delivered.
func TestCloseDeliversAcknowledgement(t *testing.T) {
	for range 20 * stress() {
		home, err := Listen("", calmBeat)
		require.NoError(t, err)
		ch := csp.NewChan[int]()
		require.NoError(t, Export(home, "c", ch))
		user, err := Listen("", calmBeat)
		require.NoError(t, err)
		r, err := OpenReader[int](ctxT(t), user, home.Addr()+"/c")
		require.NoError(t, err)
		werr := make(chan error, 1)
		go func() { werr <- ch.Writer().Write(7) }()
		v, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, 7, v)
		require.NoError(t, user.Close())
		require.NoError(t, <-werr, "the value was delivered")
		require.NoError(t, home.Close())
	}
}

// TestCloseDeliversDone: a remote writer's value is taken by a reader at the home, and the home's
// node closes at once: the writer's Write returns nil, since its value was delivered, not
// ErrLinkLost.
func TestCloseDeliversDone(t *testing.T) {
	for range 20 * stress() {
		home, err := Listen("", calmBeat)
		require.NoError(t, err)
		ch := csp.NewChan[int]()
		require.NoError(t, Export(home, "c", ch))
		user, err := Listen("", calmBeat)
		require.NoError(t, err)
		w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c")
		require.NoError(t, err)
		werr := make(chan error, 1)
		go func() { werr <- w.Write(7) }()
		v, err := ch.Reader().Read()
		require.NoError(t, err)
		require.Equal(t, 7, v)
		require.NoError(t, home.Close())
		require.NoError(t, <-werr, "the value was delivered")
		require.NoError(t, user.Close())
	}
}

// TestCloseDeliversPoison: a remote writer that poisons its end and closes its node at once leaves
// the channel poisoned, also under LeaveOnLinkLost (before Close delivered, the poison could be
// dropped with the link, and the lost writer's end then merely retired).
func TestCloseDeliversPoison(t *testing.T) {
	for range 20 * stress() {
		home, err := Listen("", calmBeat)
		require.NoError(t, err)
		ch := csp.NewChan[int](csp.Buffered(1))
		require.NoError(t, Export(home, "c", ch, OnLinkLost(LeaveOnLinkLost)))
		user, err := Listen("", calmBeat)
		require.NoError(t, err)
		w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c")
		require.NoError(t, err)
		require.NoError(t, w.Write(7))
		w.Poison()
		require.NoError(t, user.Close())
		r := ch.Reader()
		v, err := r.Read()
		require.NoError(t, err, "a writer's poison lets readers drain the buffer")
		require.Equal(t, 7, v)
		_, err = r.Read()
		require.ErrorIs(t, err, csp.ErrPoisoned)
		require.NoError(t, home.Close())
	}
}

// TestCloseContextBounded: a node whose peer has gone silent (its msgBye is never answered) still
// closes, when CloseContext's context ends, and the operation blocked on the silent link returns
// ErrLinkLost.
func TestCloseContextBounded(t *testing.T) {
	var f faults
	home, err := Listen("", WithHeartbeat(time.Second, time.Hour)) // the home never gives up on its own
	require.NoError(t, err)
	defer home.Close()
	user, err := Listen("", WithHeartbeat(time.Second, time.Hour), WithDialer(f.dial))
	require.NoError(t, err)
	require.NoError(t, Export(home, "c", csp.NewChan[int]()))
	r, err := OpenReader[int](ctxT(t), user, home.Addr()+"/c")
	require.NoError(t, err)
	rerr := make(chan error, 1)
	go func() { _, err := r.Read(); rerr <- err }()
	f.freeze()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, user.CloseContext(ctx))
	require.ErrorIs(t, <-rerr, ErrLinkLost)
}
