package net

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/internal/transport"
)

// Selections see remote readiness: before a selection settles for a Skip, a Timeout or a later
// guard, it learns from the home of each remote guard it passes whether that guard can match now.

// exported exports a channel on ns[0] and opens a reader end of it on ns[1].
func remoteReader[T any](t testing.TB, ns []*Node, name string, ch *csp.Chan[T]) *csp.Reader[T] {
	t.Helper()
	require.NoError(t, Export(ns[0], name, ch))
	r, err := OpenReader[T](ctxT(t), ns[1], ns[0].Addr()+"/"+name)
	require.NoError(t, err)
	return r
}

func remoteWriter[T any](t testing.TB, ns []*Node, name string, ch *csp.Chan[T]) *csp.Writer[T] {
	t.Helper()
	require.NoError(t, Export(ns[0], name, ch))
	w, err := OpenWriter[T](ctxT(t), ns[1], ns[0].Addr()+"/"+name)
	require.NoError(t, err)
	return w
}

// TestPriSkipSeesBufferedRemoteValue: PriSelect(Recv(r), Skip()) with a value long buffered at r's
// home fires the Recv, every time.
func TestPriSkipSeesBufferedRemoteValue(t *testing.T) {
	ns := nodes(t, 2)
	ch := csp.NewChan[int](csp.Named("c"), csp.Buffered(1))
	r := remoteReader(t, ns, "c", ch)
	w := ch.Writer()
	in := csp.Recv(r)
	for i := range 20 {
		require.NoError(t, w.Write(i))
		g, err := csp.PriSelect(in, csp.Skip())
		require.NoError(t, err)
		require.Equal(t, 0, g, "selection %d took the Skip with a value buffered", i)
		require.Equal(t, i, in.Value())
	}
	g, err := csp.PriSelect(in, csp.Skip())
	require.NoError(t, err)
	require.Equal(t, 1, g, "nothing is buffered now")
}

// TestPriSkipSeesPoisonedRemoteChannel: with r's channel poisoned at its home, PriSelect(Recv(r),
// Skip()) returns (0, ErrPoisoned).
func TestPriSkipSeesPoisonedRemoteChannel(t *testing.T) {
	ns := nodes(t, 2)
	ch := csp.NewChan[int](csp.Named("c"))
	r := remoteReader(t, ns, "c", ch)
	ch.Poison()
	g, err := csp.PriSelect(csp.Recv(r), csp.Skip())
	require.ErrorIs(t, err, csp.ErrPoisoned)
	require.Equal(t, 0, g)
}

// TestPriSelectOverReadyRemoteGuards: PriSelect(Recv(a), Recv(b)) with both remote channels
// holding values fires a every time.
func TestPriSelectOverReadyRemoteGuards(t *testing.T) {
	ns := nodes(t, 2)
	a, b := csp.NewChan[int](csp.Named("a"), csp.Buffered(20)), csp.NewChan[int](csp.Named("b"), csp.Buffered(20))
	ra, rb := remoteReader(t, ns, "a", a), remoteReader(t, ns, "b", b)
	wa, wb := a.Writer(), b.Writer()
	for i := range 20 {
		require.NoError(t, wa.Write(i))
		require.NoError(t, wb.Write(i))
	}
	alt := csp.NewAlt(csp.Recv(ra), csp.Recv(rb))
	for i := range 10 {
		g, err := alt.PriSelect()
		require.NoError(t, err)
		require.Equal(t, 0, g, "selection %d", i)
	}
}

// TestFairSelectOverReadyRemoteGuards: FairSelect over four always-ready remote guards, 200
// selections: each fires 50 times, and none is passed over while ready for more selections in a
// row than there are guards.
func TestFairSelectOverReadyRemoteGuards(t *testing.T) {
	const n, k = 4, 200
	ns := nodes(t, 2)
	var guards []csp.Guard
	for i := range n {
		ch := csp.NewChan[int](csp.Named(fmt.Sprint("c", i)), csp.Buffered(k))
		w := ch.Writer()
		for j := range k {
			require.NoError(t, w.Write(j))
		}
		guards = append(guards, csp.Recv(remoteReader(t, ns, fmt.Sprint("c", i), ch)))
	}
	alt := csp.NewAlt(guards...)
	var last [n]int
	var count [n]int
	for s := 1; s <= k; s++ {
		g, err := alt.FairSelect()
		require.NoError(t, err)
		count[g]++
		last[g] = s
		for i := range n {
			require.LessOrEqual(t, s-last[i], n, "guard %d passed over %d selections running (selection %d)", i, s-last[i], s)
		}
	}
	require.Equal(t, [n]int{k / n, k / n, k / n, k / n}, count)
}

// TestRemoteSendBeatsSkipAndTimeout: an output guard Send(w, v) whose channel has a reader waiting
// at the home fires rather than a Skip or a Timeout after it.
func TestRemoteSendBeatsSkipAndTimeout(t *testing.T) {
	ns := nodes(t, 2)
	ch := csp.NewChan[int](csp.Named("c"))
	w := remoteWriter(t, ns, "c", ch)
	const k = 20
	m := csp.NewMonitor()
	ctx, cancel := context.WithCancel(m.Context(ctxT(t)))
	defer cancel()
	r := ch.Reader()
	got := make(chan int, 2*k)
	done := make(chan error, 1)
	go func() {
		done <- csp.ParallelContext(ctx, csp.Proc("reader", func(context.Context) error {
			for range 2 * k {
				v, err := r.Read()
				if err != nil {
					return err
				}
				got <- v
			}
			return nil
		}, r))
	}()
	readerWaits := func() {
		require.Eventually(t, func() bool {
			ps := m.Processes()
			return len(ps) == 1 && ps[0].State == csp.StateBlockedRead
		}, 10*time.Second, 100*time.Microsecond)
	}
	out := csp.Send(w, 0)
	for i := range k {
		readerWaits()
		g, err := csp.PriSelect(out.Set(i), csp.Skip())
		require.NoError(t, err)
		require.Equal(t, 0, g, "Send lost to Skip with a reader waiting (selection %d)", i)
		require.Equal(t, i, <-got)
	}
	for i := range k {
		readerWaits()
		g, err := csp.PriSelect(out.Set(k+i), csp.Timeout(50*time.Microsecond))
		require.NoError(t, err)
		require.Equal(t, 0, g, "Send lost to Timeout with a reader waiting (selection %d)", i)
		require.Equal(t, k+i, <-got)
	}
	require.NoError(t, <-done)
}

// TestRetryingWritersDoNotLivelock: writers on two nodes retry Send with a short Timeout until it
// fires, readers on a third read (one plainly, one in a selection); every value arrives exactly
// once, and the run ends.
func TestRetryingWritersDoNotLivelock(t *testing.T) {
	k := 100 * stress()
	ctx := ctxT(t)
	ns := nodes(t, 3)
	for _, buf := range []int{0, 1} {
		t.Run(fmt.Sprint("buf", buf), func(t *testing.T) {
			name := fmt.Sprint("c", buf)
			ch := csp.NewChan[int](csp.Named(name), csp.Buffered(buf))
			require.NoError(t, Export(ns[0], name, ch))
			var procs []*csp.Process
			var mu sync.Mutex
			seen := map[int]int{}
			for i := range 4 {
				at := 1 + i%2
				w, err := OpenWriter[int](ctx, ns[at], ns[0].Addr()+"/"+name)
				require.NoError(t, err)
				procs = append(procs, csp.Proc(fmt.Sprint("writer-", i), func(context.Context) error {
					out := csp.Send(w, 0)
					alt := csp.NewAlt(out, csp.Timeout(10*time.Microsecond))
					for j := range k {
						out.Set(i*k + j)
						for {
							g, err := alt.PriSelectContext(ctx)
							if err != nil {
								return err
							}
							if g == 0 {
								break
							}
						}
					}
					return nil
				}, w))
			}
			for i := range 2 {
				r, err := OpenReader[int](ctx, ns[2], ns[0].Addr()+"/"+name)
				require.NoError(t, err)
				never := csp.NewChan[int]()
				nr, nw := never.Reader(), never.Writer()
				procs = append(procs, csp.Proc(fmt.Sprint("reader-", i), func(context.Context) error {
					defer nw.Retire()
					in := csp.Recv(r)
					alt := csp.NewAlt(in, csp.Recv(nr))
					for {
						var v int
						var err error
						if i == 0 { // one reader alts, the other reads plainly
							_, err = alt.FairSelectContext(ctx)
							v = in.Value()
						} else {
							v, err = r.ReadContext(ctx)
						}
						if errors.Is(err, csp.ErrRetired) {
							return nil
						}
						if err != nil {
							return err
						}
						mu.Lock()
						seen[v]++
						mu.Unlock()
					}
				}, r, nr))
			}
			require.NoError(t, csp.Parallel(procs...))
			require.Len(t, seen, 4*k)
			for v, n := range seen {
				require.Equal(t, 1, n, "value %d delivered %d times", v, n)
			}
		})
	}
}

// TestSelectionOverOneRemoteEndTwice: two guards on one remote end (an end has one operation at a
// time, so only one of them is asked about at once) and a third remote guard: the selection takes
// the first ready one, and the Skip when none is.
func TestSelectionOverOneRemoteEndTwice(t *testing.T) {
	ns := nodes(t, 2)
	a, b := csp.NewChan[int](csp.Named("a"), csp.Buffered(4)), csp.NewChan[int](csp.Named("b"), csp.Buffered(4))
	ra, rb := remoteReader(t, ns, "a", a), remoteReader(t, ns, "b", b)
	wa, wb := a.Writer(), b.Writer()
	alt := csp.NewAlt(csp.Recv(rb), csp.Recv(ra), csp.Recv(ra), csp.Skip())
	g, err := alt.PriSelect()
	require.NoError(t, err)
	require.Equal(t, 3, g, "nothing is ready")
	require.NoError(t, wa.Write(1))
	g, err = alt.PriSelect()
	require.NoError(t, err)
	require.Equal(t, 1, g)
	require.NoError(t, wb.Write(2))
	require.NoError(t, wa.Write(3))
	g, err = alt.PriSelect()
	require.NoError(t, err)
	require.Equal(t, 0, g)
}

// TestProbeWritesNothing: a selection probes a remote output guard (the second of two) to learn
// whether its home could take a write now. A probe carries no value, and must write none, even
// where the codec reads an empty payload as a value (Raw: an empty []byte) and a reader waits: the
// reader gets the guard's value, once.
func TestProbeWritesNothing(t *testing.T) {
	ns := nodes(t, 2)
	a, b := csp.NewChan[[]byte](csp.Named("a")), csp.NewChan[[]byte](csp.Named("b"))
	for name, ch := range map[string]*csp.Chan[[]byte]{"a": a, "b": b} {
		require.NoError(t, Export(ns[0], name, ch, WithCodec(Raw{})))
	}
	wa, err := OpenWriter[[]byte](ctxT(t), ns[1], ns[0].Addr()+"/a", WithCodec(Raw{}))
	require.NoError(t, err)
	wb, err := OpenWriter[[]byte](ctxT(t), ns[1], ns[0].Addr()+"/b", WithCodec(Raw{}))
	require.NoError(t, err)
	got := make(chan []byte, 1)
	rb := b.Reader()
	go func() {
		v, err := rb.Read()
		if err != nil {
			v = []byte(err.Error())
		}
		got <- v
	}()
	// The reader waits at b's home before the selection looks.
	local := b.Writer()
	for {
		ready, watch := local.Transport(transport.Door()).WriteReady()
		if ready {
			break
		}
		<-watch
	}
	g, err := csp.NewAlt(csp.Send(wa, []byte("to a")), csp.Send(wb, []byte("to b")), csp.Timeout(20*time.Second)).PriSelect()
	require.NoError(t, err)
	require.Equal(t, 1, g, "the reader waits for b, and nothing else is written to it")
	require.Equal(t, "to b", string(<-got))
}
