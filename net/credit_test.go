package net

import (
	"errors"
	"os"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// creditedWrites counts the writes the ends n opened made with a credit, over all its links.
func creditedWrites(t testing.TB, n *Node) uint64 {
	t.Helper()
	n.mu.Lock()
	links := make([]*link, 0, len(n.all))
	for l := range n.all {
		links = append(links, l)
	}
	n.mu.Unlock()
	var sum uint64
	for _, l := range links {
		l.mu.Lock()
		for _, o := range l.opened {
			if r, ok := o.(*remote[int]); ok {
				r.mu.Lock()
				sum += r.sent
				r.mu.Unlock()
			}
		}
		l.mu.Unlock()
	}
	return sum
}

// creditNodes returns a home and a user node, both with a reconnection window, and a buffered
// channel of buf exported at home as "c".
func creditNodes(t *testing.T, buf int, opts ...Option) (home, user *Node, ch *csp.Chan[int]) {
	t.Helper()
	opts = append([]Option{WithReconnectWindow(10 * time.Second)}, opts...)
	ns := nodes(t, 2, opts...)
	ch = csp.NewChan[int](csp.Buffered(buf), csp.Named("c"))
	require.NoError(t, Export(ns[0], "c", ch))
	return ns[0], ns[1], ch
}

// TestCreditsStream: a credited writer's values all arrive, once and in order, and the writes
// went with credits.
func TestCreditsStream(t *testing.T) {
	for _, buf := range []int{1, 3, 64, 200} {
		home, user, ch := creditNodes(t, buf)
		w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c", WithCredits())
		require.NoError(t, err)
		n := 2000 * stress()
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
		r := ch.Reader()
		for i := range n {
			v, err := r.Read()
			require.NoError(t, err)
			require.Equal(t, i, v, "buffer %d: values out of order, lost or twice", buf)
		}
		require.NoError(t, <-werr)
		require.Positive(t, creditedWrites(t, user), "buffer %d: no write went with a credit", buf)
	}
}

// TestCreditsOnlyWithWindow: without a reconnection window (a blip loses the link, and what was in
// flight with it) an end asking for credits writes the acknowledged way.
func TestCreditsOnlyWithWindow(t *testing.T) {
	ns := nodes(t, 2, WithReconnectWindow(0)) // windows are on by default
	ch := csp.NewChan[int](csp.Buffered(8))
	require.NoError(t, Export(ns[0], "c", ch))
	w, err := OpenWriter[int](ctxT(t), ns[1], ns[0].Addr()+"/c", WithCredits())
	require.NoError(t, err)
	for i := range 8 {
		require.NoError(t, w.Write(i))
	}
	require.Equal(t, 8, ch.Stats().Len, "an acknowledged write returned before the buffer had its value")
	require.Zero(t, creditedWrites(t, ns[1]))
}

// TestCreditsRendezvous: a rendezvous channel has no buffer to reserve: its writer still waits for
// a reader.
func TestCreditsRendezvous(t *testing.T) {
	home, user, _ := creditNodes(t, 0)
	ch := csp.NewChan[int]()
	require.NoError(t, Export(home, "r", ch))
	w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/r", WithCredits())
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- w.Write(1) }()
	select {
	case err := <-done:
		t.Fatalf("a write on a rendezvous channel returned (%v) with no reader", err)
	case <-time.After(50 * time.Millisecond):
	}
	v, err := ch.Reader().Read()
	require.NoError(t, err)
	require.Equal(t, 1, v)
	require.NoError(t, <-done)
	require.Zero(t, creditedWrites(t, user))
}

// TestCreditsBounded: with no reader, a credited writer gets exactly the buffer's room and then
// waits, as a local writer would: nothing queues beyond the buffer (the window), on either node,
// and no goroutine is started per value.
func TestCreditsBounded(t *testing.T) {
	const buf = 16
	home, user, ch := creditNodes(t, buf)
	w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c", WithCredits())
	require.NoError(t, err)
	before := runtime.NumGoroutine()
	wrote := make(chan int, 1000)
	go func() {
		for i := 0; ; i++ {
			if err := w.Write(i); err != nil {
				close(wrote)
				return
			}
			wrote <- i
		}
	}()
	for range buf {
		<-wrote
	}
	select {
	case i := <-wrote:
		t.Fatalf("write %d returned into a full buffer of %d", i, buf)
	case <-time.After(100 * time.Millisecond):
	}
	require.Eventually(t, func() bool { return ch.Stats().Len == buf }, 10*time.Second, time.Millisecond)
	require.LessOrEqual(t, runtime.NumGoroutine(), before+2, "goroutines grew with the values written")
	require.Equal(t, uint64(buf), creditedWrites(t, user), "every write into the empty buffer had a credit")
	r := ch.Reader()
	for i := range 3 * buf {
		v, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, i, v)
		<-wrote
	}
	w.Poison()
	for range wrote {
	}
}

// TestCreditsMixedWritersBounded: local and credited remote writers, from two nodes, fill a small
// buffer read slowly: its values plus the slots reserved never exceed it, and every value arrives
// once, each writer's in order.
func TestCreditsMixedWritersBounded(t *testing.T) {
	const buf, perWriter = 4, 300
	home, user, ch := creditNodes(t, buf)
	other := nodes(t, 1, WithReconnectWindow(10*time.Second))[0]
	var ws []*csp.Writer[int]
	for range 2 {
		ws = append(ws, ch.Writer())
	}
	for _, n := range []*Node{user, user, other} {
		w, err := OpenWriter[int](ctxT(t), n, home.Addr()+"/c", WithCredits())
		require.NoError(t, err)
		ws = append(ws, w)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(ws))
	for k, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if err := w.Write(k*perWriter + i); err != nil {
					errs <- err
					return
				}
			}
			w.Retire()
		}()
	}
	stop := make(chan struct{})
	over := make(chan string, 1)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if s := ch.Stats(); s.Len > buf {
				select {
				case over <- "buffer holds more than its size":
				default:
				}
			}
			runtime.Gosched()
		}
	}()
	r := ch.Reader()
	last := make([]int, len(ws))
	for i := range last {
		last[i] = -1
	}
	for range len(ws) * perWriter {
		v, err := r.Read()
		require.NoError(t, err)
		k, i := v/perWriter, v%perWriter
		require.Equal(t, last[k]+1, i, "writer %d's values out of order, lost or twice", k)
		last[k] = i
	}
	_, err := r.Read()
	require.ErrorIs(t, err, csp.ErrRetired)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	select {
	case msg := <-over:
		t.Fatal(msg)
	default:
	}
}

// TestCreditsRetireAfterWrites: a retirement sent after credited writes arrives after them: the
// reader gets every value, then ErrRetired.
func TestCreditsRetireAfterWrites(t *testing.T) {
	for range 10 * stress() {
		home, user, ch := creditNodes(t, 32)
		w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c", WithCredits())
		require.NoError(t, err)
		r := ch.Reader()
		go func() {
			for i := range 20 {
				if w.Write(i) != nil {
					return
				}
			}
			w.Retire()
		}()
		for i := range 20 {
			v, err := r.Read()
			require.NoError(t, err)
			require.Equal(t, i, v)
		}
		_, err = r.Read()
		require.ErrorIs(t, err, csp.ErrRetired)
	}
}

// TestCreditsCloseDelivers: a node closed right after credited writes returned delivers them.
func TestCreditsCloseDelivers(t *testing.T) {
	for range 10 * stress() {
		home, user, ch := creditNodes(t, 32)
		w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c", WithCredits())
		require.NoError(t, err)
		for i := range 20 {
			require.NoError(t, w.Write(i))
		}
		require.NoError(t, user.Close())
		r := ch.Reader()
		for i := range 20 {
			v, err := r.Read()
			require.NoError(t, err, "value %d of 20 written before Close", i)
			require.Equal(t, i, v)
		}
	}
}

// TestCreditsReaderPoison: a reader's poison discards credited values as buffered ones, and the
// writer's writes fail with ErrPoisoned once the home has told it (within a round trip).
func TestCreditsReaderPoison(t *testing.T) {
	home, user, ch := creditNodes(t, 32)
	w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c", WithCredits())
	require.NoError(t, err)
	for i := range 5 {
		require.NoError(t, w.Write(i))
	}
	require.Eventually(t, func() bool { return ch.Stats().Len == 5 }, 10*time.Second, time.Millisecond)
	ch.Reader().Poison()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := w.Write(9)
		if err != nil {
			require.ErrorIs(t, err, csp.ErrPoisoned)
			break
		}
		require.True(t, time.Now().Before(deadline), "writes still succeed after the reader's poison")
		time.Sleep(time.Millisecond)
	}
	require.Zero(t, ch.Stats().Len, "credited values survived a reader's poison")
}

// TestCreditsLinkLostSays: a credited writer whose link is lost for good learns it at its next
// operation, with ErrLinkLost.
func TestCreditsLinkLostSays(t *testing.T) {
	var f faults
	window := WithReconnectWindow(100 * time.Millisecond)
	home, user := faultyPair(t, &f, fastBeat, window)
	ch := csp.NewChan[int](csp.Buffered(8))
	require.NoError(t, Export(home, "c", ch))
	w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/c", WithCredits())
	require.NoError(t, err)
	require.NoError(t, w.Write(1))
	f.lose() // no redial gets through: the link is lost past the window
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := w.Write(2)
		if err != nil {
			require.True(t, errors.Is(err, ErrLinkLost), "%v", err)
			break
		}
		require.True(t, time.Now().Before(deadline), "writes still succeed on a lost link")
		time.Sleep(time.Millisecond)
	}
}

// TestCreditedWriteWithoutCreditDropsLink: a peer that writes ahead without a credit (here on a
// link without a window, where none is ever granted, though it asked) breaks the protocol: its link
// is dropped and nothing it wrote ahead reaches the buffer, which stays within its bound.
func TestCreditedWriteWithoutCreditDropsLink(t *testing.T) {
	target := nodes(t, 1)[0]
	ch := csp.NewChan[int](csp.Named("c"), csp.Buffered(2))
	require.NoError(t, Export(target, "c", ch))
	p := dialRawPeer(t, target.Addr(), "127.0.0.1:1")
	req := openReq{dir: uint8(csp.DirWrite), name: "c", typ: typeName(reflect.TypeFor[int]()), codec: "cbor"}
	_, err := p.c.Write(appendFrame(nil, msgOpen, flagCredit, 1, 0, req.append(nil)))
	require.NoError(t, err)
	require.Equal(t, msgOpened, p.next(t).typ)
	v, err := CBOR{}.Marshal(7)
	require.NoError(t, err)
	for i := range 5 {
		if _, err := p.c.Write(appendFrame(nil, msgWrite, flagCredit, 1, uint64(i+1), v)); err != nil {
			break // dropped already
		}
	}
	p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, _, err := readFrame(p.br, DefaultMaxFrame, nil)
		if err != nil {
			require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the link was not dropped")
			break
		}
		require.NotEqual(t, msgCredit, f.typ, "a credit granted on a link without a window")
	}
	require.Zero(t, ch.Stats().Len, "a value written without a credit reached the buffer")
}
