package graphs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/format"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// philosophers builds the butler-less dining philosophers, forced into their deadlock: each picks
// up the left fork, waits (outside the framework, so it counts as live) until all have, then
// reaches for the right one. Fork j talks to philosopher j on left-fork-j and to philosopher j-1 on
// right-fork-j; a philosopher writes once to pick a fork up and once to put it down.
func philosophers(n int) *Network {
	left := make([]*csp.Chan[int], n)
	right := make([]*csp.Chan[int], n)
	for j := range n {
		left[j] = csp.NewChan[int](csp.Named(fmt.Sprintf("left-fork-%d", j)))
		right[j] = csp.NewChan[int](csp.Named(fmt.Sprintf("right-fork-%d", j)))
	}
	var all sync.WaitGroup
	all.Add(n)
	net := New("philosophers")
	for i := range n {
		l, r := left[i].Writer(), right[(i+1)%n].Writer()
		net.Add(csp.Proc(fmt.Sprintf("philosopher-%d", i), func(ctx context.Context) error {
			if err := l.Write(i); err != nil {
				return err
			}
			all.Done()
			all.Wait()
			for _, step := range []*csp.Writer[int]{r, l, r} {
				if err := step.Write(i); err != nil {
					return err
				}
			}
			return nil
		}, l, r))
	}
	for j := range n {
		l, r := left[j].Reader(), right[j].Reader()
		net.Add(csp.Proc(fmt.Sprintf("fork-%d", j), func(ctx context.Context) error {
			alt := csp.NewAlt(csp.Recv(l), csp.Recv(r))
			for {
				i, err := alt.SelectContext(ctx)
				if err != nil {
					return err
				}
				side := []*csp.Reader[int]{l, r}[i]
				if _, err := side.Read(); err != nil { // put down
					return err
				}
			}
		}, l, r).SetKind("Fork"))
	}
	return net
}

func TestDeadlockOfPhilosophersNamesTheWholeRing(t *testing.T) {
	net := philosophers(5)
	err := net.Run(context.Background())
	var de *DeadlockError
	require.ErrorAs(t, err, &de)
	want := "graphs: deadlock: "
	for i := range 5 {
		j := (i + 1) % 5
		want += fmt.Sprintf("philosopher-%d writes right-fork-%d → fork-%d reads left-fork-%d ← ", i, j, j, j)
	}
	want += "philosopher-0"
	assert.Equal(t, want, de.Error())
	require.Len(t, de.Cycles, 1)
	assert.Len(t, de.Cycles[0], 10)
	assert.Empty(t, de.Waiting)

	s := net.Snapshot()
	require.NotNil(t, s.Deadlock)
	assert.Equal(t, strings.TrimPrefix(want, "graphs: "), s.Deadlock.Message, "the snapshot's message is the report without the package")
	require.Len(t, s.Deadlock.Cycles, 1)
	// philosopher-0 is p1; it writes right-fork-1, the first channel it owns after left-fork-0.
	assert.Equal(t, format.Step{Process: "p1", Op: "write", Channel: "c2"}, s.Deadlock.Cycles[0][0])
	assert.Equal(t, "p7", s.Deadlock.Cycles[0][1].Process, "fork-1")
	require.Len(t, s.Processes, 10)
	for _, p := range s.Processes {
		assert.Equal(t, "poisoned", p.State, p.Name)
	}
}

// crossNet: a reads x then writes y; b reads y then writes x. If watcher is set, it reads z, which
// a also writes (after y), so it waits into the cycle.
func crossNet(watcher bool) *Network {
	x, y, z := csp.NewChan[int](csp.Named("x")), csp.NewChan[int](csp.Named("y")), csp.NewChan[int](csp.Named("z"))
	xr, xw, yr, yw, zr, zw := x.Reader(), x.Writer(), y.Reader(), y.Writer(), z.Reader(), z.Writer()
	aEnds := []csp.End{xr, yw}
	if watcher {
		aEnds = append(aEnds, zw)
	}
	n := New("cross").Add(
		csp.Proc("a", func(ctx context.Context) error {
			if _, err := xr.Read(); err != nil {
				return err
			}
			return yw.Write(1)
		}, aEnds...),
		csp.Proc("b", func(ctx context.Context) error {
			if _, err := yr.Read(); err != nil {
				return err
			}
			return xw.Write(1)
		}, yr, xw),
	)
	if watcher {
		n.Add(csp.Proc("c", func(ctx context.Context) error {
			_, err := zr.Read()
			return err
		}, zr))
	}
	return n
}

func TestDeadlockOfTwoCrossedProcessesNamesTheirCycle(t *testing.T) {
	err := crossNet(false).Run(context.Background())
	var de *DeadlockError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "graphs: deadlock: a reads x ← b reads y ← a", de.Error())
	assert.Empty(t, de.Waiting)
}

func TestDeadlockNamesEachOfTwoDisjointCycles(t *testing.T) {
	net := New("two")
	for _, names := range [][4]string{{"a", "b", "x", "y"}, {"c", "d", "z", "w"}} {
		p, q := csp.NewChan[int](csp.Named(names[2])), csp.NewChan[int](csp.Named(names[3]))
		pr, pw, qr, qw := p.Reader(), p.Writer(), q.Reader(), q.Writer()
		net.Add(
			csp.Proc(names[0], func(ctx context.Context) error { _, err := pr.Read(); return err }, pr, qw),
			csp.Proc(names[1], func(ctx context.Context) error { _, err := qr.Read(); return err }, qr, pw),
		)
	}
	err := net.Run(context.Background())
	var de *DeadlockError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "graphs: deadlock: a reads x ← b reads y ← a; and c reads z ← d reads w ← c", de.Error())
	d := net.Snapshot().Deadlock
	require.NotNil(t, d)
	assert.Len(t, d.Cycles, 2)
}

func TestDeadlockListsAProcessWaitingIntoTheCycle(t *testing.T) {
	net := crossNet(true)
	err := net.Run(context.Background())
	var de *DeadlockError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "graphs: deadlock: a reads x ← b reads y ← a; blocked outside the cycle: c reads z", de.Error())
	d := net.Snapshot().Deadlock
	require.NotNil(t, d)
	assert.Equal(t, [][]format.Step{{{Process: "p1", Op: "read", Channel: "c1"}, {Process: "p2", Op: "read", Channel: "c2"}}}, d.Cycles)
	assert.Equal(t, []format.Step{{Process: "p3", Op: "read", Channel: "c3"}}, d.Waiting)
}

func TestDeadlockOnAnyToAnyChannelsNamesOneCycleAndTheRest(t *testing.T) {
	// s has two readers (A, B) and two writers (C, D); t has one writer (A) and two readers (C, D).
	// Everyone reads: A waits for C or D on s, C and D wait for A on t, B waits on s too.
	s, tc := csp.NewChan[int](csp.Named("s")), csp.NewChan[int](csp.Named("t"))
	reader := func(name string, r *csp.Reader[int], own ...csp.End) *csp.Process {
		return csp.Proc(name, func(ctx context.Context) error { _, err := r.Read(); return err }, append([]csp.End{r}, own...)...)
	}
	err := New("any").Add(
		reader("A", s.Reader(), tc.Writer()),
		reader("B", s.Reader()),
		reader("C", tc.Reader(), s.Writer()),
		reader("D", tc.Reader(), s.Writer()),
	).Run(context.Background())
	var de *DeadlockError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "graphs: deadlock: A reads s ← C reads t ← A; blocked outside the cycle: B reads s, D reads t", de.Error())
}

func TestDeadlockAmongAltingProcesses(t *testing.T) {
	// Three processes in a ring, each alting over a read from its left neighbour (ring-i) and a
	// read from its right neighbour (back-i): nobody ever writes.
	const n = 3
	ring, back := make([]*csp.Chan[int], n), make([]*csp.Chan[int], n)
	for i := range n {
		ring[i] = csp.NewChan[int](csp.Named(fmt.Sprintf("ring-%d", i)))
		back[i] = csp.NewChan[int](csp.Named(fmt.Sprintf("back-%d", i)))
	}
	net := New("alts")
	for i := range n {
		rr, br := ring[i].Reader(), back[i].Reader()
		rw, bw := ring[(i+1)%n].Writer(), back[(i+n-1)%n].Writer()
		net.Add(csp.Proc(fmt.Sprintf("alt-%d", i), func(ctx context.Context) error {
			_, err := csp.NewAlt(csp.Recv(rr), csp.Recv(br)).SelectContext(ctx)
			return err
		}, rr, br, rw, bw))
	}
	err := net.Run(context.Background())
	var de *DeadlockError
	require.ErrorAs(t, err, &de)
	// alt-0's peers: alt-2 (writes ring-0) and alt-1 (writes back-0); the shortest cycle from alt-0
	// goes to alt-1 first (declared first) and straight back.
	assert.Equal(t, "graphs: deadlock: alt-0 reads back-0 ← alt-1 reads ring-1 ← alt-0; blocked outside the cycle: alt-2 reads back-2", de.Error())
	for _, st := range de.Deadlock.Blocked {
		assert.Equal(t, csp.StateAlting, st.State)
		assert.Len(t, st.Waits, 2)
	}
}

func TestDeadlockOfAProcessWaitingOnItself(t *testing.T) {
	c := csp.NewChan[int](csp.Named("loop"))
	r, w := c.Reader(), c.Writer()
	err := New("self").Add(csp.Proc("narcissus", func(ctx context.Context) error {
		_, err := r.Read()
		return err
	}, r, w)).Run(context.Background())
	var de *DeadlockError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "graphs: deadlock: narcissus reads loop ← narcissus", de.Error())
}

// No false positives: processes that sleep, block in I/O or wait in a selection with a Timeout are
// live, so the network must end normally.
func TestNoDeadlockWhileAPeerSleeps(t *testing.T) {
	c := csp.NewChan[int]()
	r, w := c.Reader(), c.Writer()
	err := New("sleep").Add(
		csp.Proc("reader", func(ctx context.Context) error { _, err := r.Read(); return err }, r),
		csp.Proc("sleeper", func(ctx context.Context) error {
			time.Sleep(20 * time.Millisecond)
			return w.Write(1)
		}, w),
	).Run(context.Background())
	require.NoError(t, err)
}

func TestNoDeadlockWhileAPeerBlocksInIO(t *testing.T) {
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	c := csp.NewChan[int]()
	r, w := c.Reader(), c.Writer()
	net := New("pipe").Add(
		csp.Proc("reader", func(ctx context.Context) error { _, err := r.Read(); return err }, r),
		csp.Proc("io", func(ctx context.Context) error {
			var b [1]byte
			if _, err := pr.Read(b[:]); err != nil {
				return err
			}
			return w.Write(int(b[0]))
		}, w),
	)
	done := make(chan error, 1)
	go func() { done <- net.Run(context.Background()) }()
	// Write only once the reader is blocked on the channel, so that the monitor has had every
	// chance to call the I/O-blocked process dead.
	for !blockedIn(net, "reader") {
		time.Sleep(time.Millisecond)
	}
	_, err = pw.Write([]byte{7})
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	require.NoError(t, <-done)
}

func blockedIn(n *Network, name string) bool {
	for _, p := range n.Snapshot().Processes {
		if p.Name == name && p.State == "blocked-read" {
			return true
		}
	}
	return false
}

func TestNoDeadlockWhileASelectionCanTimeOut(t *testing.T) {
	x, y := csp.NewChan[int](), csp.NewChan[int]()
	xr, xw, yr, yw := x.Reader(), x.Writer(), y.Reader(), y.Writer()
	timeouts := 0
	err := New("timeout").Add(
		csp.Proc("waiter", func(ctx context.Context) error {
			alt := csp.NewAlt(csp.Recv(xr), csp.Timeout(5*time.Millisecond))
			for {
				i, err := alt.SelectContext(ctx)
				if err != nil {
					return err
				}
				if i == 0 {
					return nil
				}
				timeouts++
				if timeouts == 3 {
					if err := yw.Write(1); err != nil {
						return err
					}
				}
			}
		}, xr, yw),
		csp.Proc("echo", func(ctx context.Context) error {
			if _, err := yr.Read(); err != nil {
				return err
			}
			return xw.Write(1)
		}, yr, xw),
	).Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, timeouts)
}

func TestDeadlockWithoutCycleIsReportedAndWrapsFailures(t *testing.T) {
	// Nobody holds a writer end of "never": the reader is stuck without any cycle. On the poison
	// that ends the deadlock it fails, and the DeadlockError carries that failure.
	boom := errors.New("boom")
	r := csp.NewChan[int](csp.Named("never")).Reader()
	err := New("wrap").Add(
		csp.Proc("stuck", func(ctx context.Context) error {
			if _, err := r.Read(); err != nil {
				return boom
			}
			return nil
		}, r),
	).Run(context.Background())
	var de *DeadlockError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, boom)
	assert.Empty(t, de.Cycles)
	assert.Equal(t, "graphs: deadlock: no wait-for cycle; every live process is blocked: stuck reads never", de.Error())
}
