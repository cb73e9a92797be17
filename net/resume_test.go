package net

import (
	"context"
	"io"
	"math/rand/v2"
	gonet "net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// TestBlipHeals breaks a link's connection again and again under a stream, each break healed
// within the reconnection window (the dialler's redial is let through), with the remote end
// writing and with it reading, through a rendezvous and a buffer: every value arrives once and in
// order, and no operation fails. A break is a cut (the connection closed) or a freeze (it goes
// silent, swallowing what is written to it, until the heartbeat bound drops it): what a frozen
// connection swallowed is sent again on the next. A remote writer into the buffer also streams
// with credits (WithCredits), its writes returning before the home has them.
func TestBlipHeals(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	for range 2 * stress() {
		for _, remoteWriter := range []bool{true, false} {
			for _, buf := range []int{0, 4} {
				for _, freeze := range []bool{false, true} {
					healStream(t, rng, remoteWriter, buf, freeze, false)
					if remoteWriter && buf > 0 {
						healStream(t, rng, remoteWriter, buf, freeze, true)
					}
				}
			}
		}
	}
}

func healStream(t *testing.T, rng *rand.Rand, remoteWriter bool, buf int, freeze, credits bool) {
	var f faults
	window := WithReconnectWindow(10 * time.Second)
	home, user := faultyPair(t, &f, fastBeat, window)
	defer home.Close() // now, not at the test's end: a test streams through many pairs
	defer user.Close()
	ch := csp.NewChan[int](csp.Buffered(buf))
	require.NoError(t, Export(home, "c", ch, OnLinkLost(PoisonOnLinkLost)))
	var w *csp.Writer[int]
	var r *csp.Reader[int]
	var err error
	if remoteWriter {
		var opts []EndOption
		if credits {
			opts = append(opts, WithCredits())
		}
		w, err = OpenWriter[int](ctxT(t), user, home.Addr()+"/c", opts...)
		r = ch.Reader()
	} else {
		r, err = OpenReader[int](ctxT(t), user, home.Addr()+"/c")
		w = ch.Writer()
	}
	require.NoError(t, err)

	const n = 3000
	werr := make(chan error, 1)
	go func() {
		for i := range n {
			if err := w.Write(i); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	cuts := make(chan struct{})
	go func() {
		defer close(cuts)
		for range 3 {
			time.Sleep(time.Duration(rng.IntN(20_000)) * time.Microsecond)
			if freeze {
				f.freeze()
			} else {
				f.cut()
			}
		}
	}()
	for i := range n {
		v, err := r.Read()
		require.NoError(t, err, "read %d", i)
		require.Equal(t, i, v, "values out of order, lost or twice")
	}
	require.NoError(t, <-werr)
	<-cuts
	if credits {
		require.Positive(t, creditedWrites(t, user), "no write went with a credit")
	}
	// The link is still up after the cuts: a round trip more.
	go func() { werr <- w.Write(-1) }()
	v, err := r.Read()
	require.NoError(t, err)
	require.Equal(t, -1, v)
	require.NoError(t, <-werr)
}

// TestBlipHealsSelection cuts the connection under a remote selection that alternates between
// two remote channels: every value arrives exactly once.
func TestBlipHealsSelection(t *testing.T) {
	var f faults
	window := WithReconnectWindow(10 * time.Second)
	home, user := faultyPair(t, &f, fastBeat, window)
	a, b := csp.NewChan[int](), csp.NewChan[int]()
	require.NoError(t, Export(home, "a", a))
	require.NoError(t, Export(home, "b", b))
	ra, err := OpenReader[int](ctxT(t), user, home.Addr()+"/a")
	require.NoError(t, err)
	rb, err := OpenReader[int](ctxT(t), user, home.Addr()+"/b")
	require.NoError(t, err)
	const n = 1000
	errs := make(chan error, 2)
	for k, ch := range []*csp.Chan[int]{a, b} {
		go func() {
			w := ch.Writer()
			for i := range n {
				if err := w.Write(2*i + k); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	go func() {
		for range 3 {
			time.Sleep(5 * time.Millisecond)
			f.cut()
		}
	}()
	seen := make([]bool, 2*n)
	for range 2 * n {
		ga, gb := csp.Recv(ra), csp.Recv(rb)
		i, err := csp.SelectContext(ctxT(t), ga, gb)
		require.NoError(t, err)
		v := ga.Value()
		if i == 1 {
			v = gb.Value()
		}
		require.False(t, seen[v], "value %d twice", v)
		seen[v] = true
	}
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
}

// TestCutForGood: a cut whose redial is refused loses the link once the window passes, as a cut
// without a window does at once: a blocked operation returns ErrLinkLost.
func TestCutForGood(t *testing.T) {
	var f faults
	window := WithReconnectWindow(200 * time.Millisecond)
	home, user := faultyPair(t, &f, fastBeat, window)
	ch := csp.NewChan[int]()
	require.NoError(t, Export(home, "c", ch))
	r, err := OpenReader[int](ctxT(t), user, home.Addr()+"/c")
	require.NoError(t, err)
	go func() { ch.Writer().Write(1) }()
	v, err := r.Read()
	require.NoError(t, err)
	require.Equal(t, 1, v)
	f.lose()
	_, err = r.Read()
	require.ErrorIs(t, err, ErrLinkLost)
	require.Contains(t, err.Error(), "reconnection window")
}

// TestCloseSuspended: a node whose link is suspended closes without waiting out the window, and
// its blocked operation returns ErrLinkLost.
func TestCloseSuspended(t *testing.T) {
	var f faults
	window := WithReconnectWindow(time.Hour) // a Close that waited for it would time the test out
	home, err := Listen("", fastBeat, window)
	require.NoError(t, err)
	defer home.Close()
	user, err := Listen("", fastBeat, window, WithDialer(f.dial))
	require.NoError(t, err)
	ch := csp.NewChan[int]()
	require.NoError(t, Export(home, "c", ch))
	r, err := OpenReader[int](ctxT(t), user, home.Addr()+"/c")
	require.NoError(t, err)
	f.lose()
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read()
		errc <- err
	}()
	require.NoError(t, user.Close())
	require.ErrorIs(t, <-errc, ErrLinkLost)
	require.NoError(t, home.Close())
}

// BenchmarkWindowCost compares links without and with a reconnection window (a session under the
// link: its resend buffer, and a hand-off per read from the session's reader; writes go out on the
// link's writer), side by side: a round trip through remote ends, and a stream from 16 remote
// writers.
func BenchmarkWindowCost(b *testing.B) {
	for _, c := range []struct {
		name string
		opt  Option
	}{{"window0", WithReconnectWindow(0)}, {"window5s", WithReconnectWindow(5 * time.Second)}} {
		b.Run("roundtrip/"+c.name, func(b *testing.B) {
			ns := nodes(b, 2, c.opt)
			ch, back := csp.NewChan[int](), csp.NewChan[int]()
			require.NoError(b, Export(ns[1], "c", ch))
			require.NoError(b, Export(ns[1], "back", back))
			w, err := OpenWriter[int](context.Background(), ns[0], ns[1].Addr()+"/c")
			require.NoError(b, err)
			r, err := OpenReader[int](context.Background(), ns[0], ns[1].Addr()+"/back")
			require.NoError(b, err)
			go func() {
				hr, hw := ch.Reader(), back.Writer()
				for {
					v, err := hr.Read()
					if err != nil || hw.Write(v) != nil {
						return
					}
				}
			}()
			b.ResetTimer()
			for i := range b.N {
				if err := w.Write(i); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Read(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			w.Retire()
			r.Retire()
		})
		b.Run("stream16/"+c.name, func(b *testing.B) {
			ns := nodes(b, 2, c.opt)
			ch := csp.NewChan[[]byte](csp.Buffered(64))
			require.NoError(b, Export(ns[1], "s", ch, WithCodec(Raw{})))
			const writers = 16
			errs := make(chan error, writers)
			b.SetBytes(64)
			b.ResetTimer()
			// Every writer end opened before any writes: a channel whose writers have all retired
			// is retired, and one opened later would join a retired channel.
			ws := make([]*csp.Writer[[]byte], writers)
			for k := range ws {
				var err error
				ws[k], err = OpenWriter[[]byte](context.Background(), ns[0], ns[1].Addr()+"/s", WithCodec(Raw{}))
				require.NoError(b, err)
			}
			for k, w := range ws {
				go func() {
					defer w.Retire()
					msg := make([]byte, 64)
					for i := k; i < b.N; i += writers {
						if err := w.Write(msg); err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			r := ch.Reader()
			for range b.N {
				if _, err := r.Read(); err != nil {
					for range writers {
						if werr := <-errs; werr != nil {
							b.Fatalf("%v, after a writer's %v", err, werr)
						}
					}
					b.Fatal(err)
				}
			}
			for range writers {
				require.NoError(b, <-errs)
			}
		})
	}
}

// BenchmarkResume measures how long a link takes to come back after its connection is cut: each
// iteration cuts it and then makes one round trip through remote ends (BenchmarkRemotePingPong
// gives a round trip without the cut).
func BenchmarkResume(b *testing.B) {
	var f faults
	window := WithReconnectWindow(10 * time.Second)
	home, err := Listen("", window)
	require.NoError(b, err)
	defer home.Close()
	user, err := Listen("", window, WithDialer(f.dial))
	require.NoError(b, err)
	defer user.Close()
	ch, back := csp.NewChan[int](), csp.NewChan[int]()
	require.NoError(b, Export(home, "c", ch))
	require.NoError(b, Export(home, "back", back))
	w, err := OpenWriter[int](context.Background(), user, home.Addr()+"/c")
	require.NoError(b, err)
	r, err := OpenReader[int](context.Background(), user, home.Addr()+"/back")
	require.NoError(b, err)
	go func() {
		hr, hw := ch.Reader(), back.Writer()
		for {
			v, err := hr.Read()
			if err != nil || hw.Write(v) != nil {
				return
			}
		}
	}()
	b.ResetTimer()
	for i := range b.N {
		f.cut()
		if err := w.Write(i); err != nil {
			b.Fatal(err)
		}
		if _, err := r.Read(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	w.Retire()
	r.Retire()
}

// TestCloseDeliversWithWindow: Close delivers on a resumable link as on any other (its msgBye,
// then the session's end, which the peer takes as the link's end rather than a blip to wait out):
// a remote writer that writes, retires and closes its node leaves the home's reader the value and
// ErrRetired, never the poison of a lost writer; and the end the closing node did not retire
// leaves at once (a home's writer waiting for it sees ErrRetired), not after the window.
func TestCloseDeliversWithWindow(t *testing.T) {
	window := WithReconnectWindow(time.Hour) // a peer that waited it out would time the test out
	for range 10 * stress() {
		home, err := Listen("", calmBeat, window)
		require.NoError(t, err)
		ch, other := csp.NewChan[int](csp.Buffered(1)), csp.NewChan[int]()
		require.NoError(t, Export(home, "c", ch, OnLinkLost(PoisonOnLinkLost)))
		require.NoError(t, Export(home, "d", other))
		user, err := Listen("", calmBeat, window)
		require.NoError(t, err)
		w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c")
		require.NoError(t, err)
		_, err = OpenReader[int](ctxT(t), user, home.Addr()+"/d")
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
		require.ErrorIs(t, other.Writer().Write(1), csp.ErrRetired)
		require.NoError(t, home.Close())
	}
}

// FuzzSessionStream feeds a session's reader whatever a peer may send on a connection after the
// handshake (chunks, acks of any count, fins, garbage): it never panics, delivers at most what
// was sent, and ends or suspends when the bytes end.
func FuzzSessionStream(f *testing.F) {
	f.Add([]byte{sessData, 0, 0, 0, 3, 'a', 'b', 'c', sessAck, 0, 0, 0, 0, 0, 0, 0, 4})
	f.Add([]byte{sessAck, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{sessData, 0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{sessFin})
	f.Add([]byte{9})
	n, err := Listen("", WithReconnectWindow(time.Hour))
	require.NoError(f, err)
	defer n.Close()
	f.Fuzz(func(t *testing.T, b []byte) {
		a, c := gonet.Pipe()
		s := newSession(n, [16]byte{}, "peer", false, "", a)
		s.out, s.wpos = []byte("0123456789"), 10 // sent, not yet acknowledged
		s.run(a)
		var read atomic.Int64 // what the session's Read (the link's reader) delivered
		reading := make(chan struct{})
		go func() {
			defer close(reading)
			b := make([]byte, 1<<10)
			for {
				k, err := s.Read(b)
				read.Add(int64(k))
				if err != nil {
					return
				}
			}
		}()
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			io.Copy(io.Discard, c)
		}()
		c.Write(b)
		c.Close()
		<-drained
		for {
			s.mu.Lock()
			over := s.c == nil || s.err != nil
			s.mu.Unlock()
			if over {
				break
			}
			time.Sleep(time.Millisecond)
		}
		s.Close()
		<-reading
		s.mu.Lock()
		got := int(read.Load()) + len(s.in)
		s.mu.Unlock()
		require.LessOrEqual(t, got, len(b))
	})
}

// TestSessionAckBeyondWritten: a peer that acknowledges bytes the session keeps but has not
// written yet (a resend under way, a queue behind a slow write) breaks the protocol: the session
// ends, instead of the next write slicing its buffer from below its base (a panic that took the
// whole process down).
func TestSessionAckBeyondWritten(t *testing.T) {
	n, err := Listen("", WithReconnectWindow(time.Hour))
	require.NoError(t, err)
	defer n.Close()
	a, c := gonet.Pipe()
	s := newSession(n, [16]byte{}, "peer", false, "", a)
	s.out, s.wpos = []byte("0123456789"), 4 // 4 bytes written, 6 kept for later
	s.run(a)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		io.Copy(io.Discard, c)
	}()
	reading := make(chan struct{}) // a session reads its connection on Read's goroutine
	go func() {
		defer close(reading)
		buf := make([]byte, 64)
		for {
			if _, err := s.Read(buf); err != nil {
				return
			}
		}
	}()
	_, err = c.Write([]byte{sessAck, 0, 0, 0, 0, 0, 0, 0, 10})
	require.NoError(t, err)
	for {
		s.mu.Lock()
		seen := s.err != nil || s.outBase == 10
		s.mu.Unlock()
		if seen {
			break
		}
		time.Sleep(time.Millisecond)
	}
	_, err = s.Write([]byte("x"))
	require.ErrorIs(t, err, errSessionProto)
	c.Close()
	<-drained
	<-reading
}

// TestSessionOnClosingNode: a session made as its node closes is ended at once by the node's
// closing (on a goroutine of the context's), which must find the session whole: under -race, it
// read stopN while newSession was still writing it.
func TestSessionOnClosingNode(t *testing.T) {
	n, err := Listen("", WithReconnectWindow(time.Hour))
	require.NoError(t, err)
	require.NoError(t, n.Close())
	for range 50 {
		a, c := gonet.Pipe()
		s := newSession(n, [16]byte{}, "peer", true, "", a)
		<-s.done
		a.Close()
		c.Close()
	}
}
