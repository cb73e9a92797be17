package net

import (
	"context"
	"errors"
	gonet "net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/csp"
)

// TestResendBufferOverflow: a node keeps sending on a link whose peer acknowledges nothing (its
// connection cut, every redial refused, inside a window of an hour): once more than the resend
// buffer's cap (twice the link's queue bound) is sent and not acknowledged, the link is lost at
// once, long before the window ends: every write waiting on it returns ErrLinkLost, the buffer
// never held more than the cap, and the peer, whose own window passes, applies its export's policy
// to the ends the lost node had opened. The writes go one at a time, so that the link's own queue
// bound (a peer that does not read) never fills first.
func TestResendBufferOverflow(t *testing.T) {
	for _, c := range []struct {
		name   string
		policy LinkLostPolicy
		want   error
	}{{"leave", LeaveOnLinkLost, csp.ErrRetired}, {"poison", PoisonOnLinkLost, csp.ErrPoisoned}} {
		t.Run(c.name, func(t *testing.T) { resendOverflow(t, c.policy, c.want) })
	}
}

func resendOverflow(t *testing.T, policy LinkLostPolicy, want error) {
	var f faults
	var refuse atomic.Bool
	dial := func(ctx context.Context, addr string) (gonet.Conn, error) {
		if refuse.Load() {
			return nil, errors.New("refused by the test")
		}
		return f.dial(ctx, addr)
	}
	// The home's window is short, so that its side of the link is lost soon after the cut; the
	// user's is an hour, so that only the cap can end its side within the test.
	home, err := Listen("", fastBeat, WithReconnectWindow(300*time.Millisecond))
	require.NoError(t, err)
	defer home.Close()
	user, err := Listen("", fastBeat, WithReconnectWindow(time.Hour), WithDialer(dial))
	require.NoError(t, err)
	defer user.Close()
	ch := csp.NewChan[[]byte]()
	require.NoError(t, Export(home, "c", ch, WithCodec(Raw{}), OnLinkLost(policy)))

	capBytes := 2 * user.opts.maxQueued()
	value := make([]byte, 512<<10)
	writers := capBytes/len(value) + 8 // past the cap, with room to spare
	ws := make([]*csp.Writer[[]byte], writers)
	for i := range ws {
		ws[i], err = OpenWriter[[]byte](ctxT(t), user, home.Addr()+"/c", WithCodec(Raw{}))
		require.NoError(t, err)
	}
	user.mu.Lock()
	l := user.links[home.Addr()]
	user.mu.Unlock()
	require.NotNil(t, l)
	s, ok := l.c.(*session)
	require.True(t, ok, "the link runs on a session")
	sent := func() (total uint64, unacked int, over bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.outBase + uint64(len(s.out)), len(s.out), s.err != nil
	}

	refuse.Store(true)
	f.cut()
	errs := make(chan error, writers)
	started, peak := 0, 0
	for _, w := range ws {
		before, _, over := sent()
		if over {
			break
		}
		started++
		go func() { errs <- w.Write(value) }()
		// Wait until the value is in the resend buffer, or the session is over.
		for wait := time.Now().Add(10 * time.Second); ; {
			total, unacked, over := sent()
			peak = max(peak, unacked)
			if over || total >= before+uint64(len(value)) {
				break
			}
			require.True(t, time.Now().Before(wait), "write %d never reached the session", started)
			time.Sleep(time.Millisecond)
		}
	}
	_, _, over := sent()
	require.True(t, over, "%d values of %d bytes sent after the cut, %d bytes at most unacknowledged, and the link is still up (cap %d)",
		started, len(value), peak, capBytes)
	require.LessOrEqual(t, peak, capBytes, "the resend buffer held more than its cap")
	for range started {
		select {
		case err := <-errs:
			require.ErrorIs(t, err, ErrLinkLost)
			require.True(t, strings.Contains(err.Error(), "not acknowledged"), "not the resend buffer's cap: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("a write on the overflowed link did not return")
		}
	}
	// The home's side: past its window the link is lost there too, and the export's policy ends
	// the channel for its reader (every writer was the lost node's).
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = ch.Reader().ReadContext(rctx)
	require.ErrorIs(t, err, want)
}
