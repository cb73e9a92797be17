package net

import (
	"context"
	"encoding/binary"
	gonet "net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/csp"
)

// TestResendBufferOverflow: a node keeps sending on a link whose peer acknowledges nothing, inside
// a window of an hour: once more than the resend buffer's cap (twice the link's queue bound) is
// sent and not acknowledged, the link is lost at once, long before the window ends: every write
// waiting on it returns ErrLinkLost, the buffer never held more than the cap, and the peer, whose
// own window passes, applies its export's policy to the ends the lost node had opened. The peer
// acknowledges nothing because the connection was cut and every redial is refused (suspended), or
// because its acks never arrive while it reads and answers everything (unacknowledged).
func TestResendBufferOverflow(t *testing.T) {
	for _, c := range []struct {
		name   string
		policy LinkLostPolicy
		want   error
	}{{"leave", LeaveOnLinkLost, csp.ErrRetired}, {"poison", PoisonOnLinkLost, csp.ErrPoisoned}} {
		t.Run("suspended/"+c.name, func(t *testing.T) { resendOverflow(t, c.policy, c.want) })
		t.Run("unacknowledged/"+c.name, func(t *testing.T) { unackedOverflow(t, c.policy, c.want) })
	}
}

// unackedOverflow writes values one after another to a channel at a peer that reads every one,
// through a connection that drops the peer's acks on the way: the writes return nil until the
// resend buffer would pass its cap, then ErrLinkLost.
func unackedOverflow(t *testing.T, policy LinkLostPolicy, want error) {
	dial := func(ctx context.Context, addr string) (gonet.Conn, error) {
		var d gonet.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return &ackless{Conn: c, pass: helloFixed}, nil
	}
	// A slow heartbeat: a connection that a slow run (-race, a loaded machine) found silent would
	// resume, and the session reply's count acknowledges what the home has, emptying the buffer.
	// The home still finds the link gone at once: the user closes the connection at the cap.
	beat := WithHeartbeat(time.Second, 20*time.Second)
	home, err := Listen("", beat, WithReconnectWindow(300*time.Millisecond))
	require.NoError(t, err)
	defer home.Close()
	user, err := Listen("", beat, WithReconnectWindow(time.Hour), WithDialer(dial))
	require.NoError(t, err)
	defer user.Close()
	ch := csp.NewChan[[]byte]()
	require.NoError(t, Export(home, "c", ch, WithCodec(Raw{}), OnLinkLost(policy)))
	w, err := OpenWriter[[]byte](ctxT(t), user, home.Addr()+"/c", WithCodec(Raw{}))
	require.NoError(t, err)
	reads := make(chan error, 1)
	go func() {
		r := ch.Reader()
		for {
			if _, err := r.Read(); err != nil {
				reads <- err
				return
			}
		}
	}()

	capBytes := 2 * user.opts.maxQueued()
	value := make([]byte, 512<<10)
	limit := 3 * capBytes / len(value)
	written := 0
	for ; written < limit; written++ {
		if err = w.Write(value); err != nil {
			break
		}
	}
	require.Error(t, err, "%d values of %d bytes written, none acknowledged, and the link is still up (cap %d)",
		written, len(value), capBytes)
	require.ErrorIs(t, err, ErrLinkLost)
	require.Contains(t, err.Error(), "not acknowledged", "not the resend buffer's cap")
	require.LessOrEqual(t, written*len(value), capBytes, "more written than the cap without an ack")
	// The home's side: past its window its link is lost too, and the policy ends the channel for
	// the reader (the lost node's was its only writer).
	select {
	case err := <-reads:
		require.ErrorIs(t, err, want)
	case <-time.After(10 * time.Second):
		t.Fatal("the home's reader did not see the lost writer")
	}
}

// ackless passes on what its connection reads, less the session's acks: first pass bytes of the
// hello's fixed part, then its address and the session reply, then chunk by chunk.
type ackless struct {
	gonet.Conn
	pass  int    // bytes to pass on before the next header
	drop  int    // bytes of an ack still to drop
	fixed []byte // the hello's fixed part, until the address length is known
	state int    // 0: the hello's fixed part; 1: address and reply; 2: chunks
	hdr   []byte // a data chunk's length being read
}

func (c *ackless) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		kept := 0
		for _, b := range p[:n] {
			keep := true
			switch {
			case c.drop > 0:
				c.drop--
				keep = false
			case c.state == 0:
				c.fixed = append(c.fixed, b)
				if c.pass--; c.pass == 0 {
					c.pass = int(binary.BigEndian.Uint16(c.fixed[8:])) + sessReplyLen
					c.state = 1
				}
			case c.pass > 0:
				c.pass--
				if c.pass == 0 && c.state == 1 {
					c.state = 2
				}
			case c.hdr != nil:
				c.hdr = append(c.hdr, b)
				if len(c.hdr) == 4 {
					c.pass = int(binary.BigEndian.Uint32(c.hdr))
					c.hdr = nil
				}
			case b == sessAck:
				c.drop, keep = 8, false
			case b == sessData:
				c.hdr = []byte{}
			}
			if keep {
				p[kept] = b
				kept++
			}
		}
		if kept > 0 || err != nil {
			return kept, err
		}
	}
}

func resendOverflow(t *testing.T, policy LinkLostPolicy, want error) {
	var f faults
	// The home's window is short, so that its side of the link is lost soon after the cut; the
	// user's is an hour, so that only the cap can end its side within the test.
	// A slow heartbeat: a connection that a slow run (-race, a loaded machine) found silent would
	// resume, and the session reply's count acknowledges what the home has, emptying the buffer.
	// The home still finds the link gone at once: the user closes the connection at the cap.
	beat := WithHeartbeat(time.Second, 20*time.Second)
	home, err := Listen("", beat, WithReconnectWindow(300*time.Millisecond))
	require.NoError(t, err)
	defer home.Close()
	user, err := Listen("", beat, WithReconnectWindow(time.Hour), WithDialer(f.dial))
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

	f.lose()
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
