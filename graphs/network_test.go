package graphs

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/components"
	"github.com/gocsp/gocsp/graphs/format"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// commsTime builds the classic CommsTime ring (Prefix → Delta → Successor → Prefix) with a consumer
// that reads n values from the Delta and then poisons its input.
func commsTime(n int, got *[]int) []*csp.Process {
	a := csp.NewChan[int](csp.Named("a"))
	b := csp.NewChan[int](csp.Named("b"))
	c := csp.NewChan[int](csp.Named("c"))
	d := csp.NewChan[int](csp.Named("d"))
	dr := d.Reader()
	return []*csp.Process{
		components.Prefix("prefix", 0, c.Reader(), a.Writer()),
		components.Delta("delta", a.Reader(), b.Writer(), d.Writer()),
		components.Successor("succ", b.Reader(), c.Writer()),
		csp.Proc("consume", func(ctx context.Context) error {
			for range n {
				v, err := dr.Read()
				if err != nil {
					return err
				}
				if got != nil {
					*got = append(*got, v)
				}
			}
			return csp.ErrPoisoned // ends the ring: its ends are poisoned
		}, dr),
	}
}

func TestRunRunsEveryProcessToItsEnd(t *testing.T) {
	var got []int
	n := New("commstime").Add(commsTime(10, &got)...)
	require.NoError(t, n.Run(context.Background()))
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, got)
	s := n.Snapshot()
	assert.False(t, s.Running)
	require.Len(t, s.Processes, 4)
	for _, p := range s.Processes {
		assert.Contains(t, []string{"done", "poisoned"}, p.State, p.Name)
	}
}

func TestTopologyNumbersProcessesAndChannelsInDeclarationOrder(t *testing.T) {
	top := New("commstime").Add(commsTime(10, nil)...).Topology()
	assert.Len(t, top.Processes, 4)
	assert.Len(t, top.Channels, 4)
	assert.Equal(t, "p1", top.Processes[0].ID)
	assert.Equal(t, "Prefix", top.Processes[0].Kind)
	// Channels are numbered by first appearance: prefix owns c (read) then a (write).
	assert.Equal(t, "c", top.Channels[0].Name)
	assert.Equal(t, "a", top.Channels[1].Name)
}

func TestRunRunsANetworkOnce(t *testing.T) {
	n := New("commstime").Add(commsTime(1, nil)...)
	require.NoError(t, n.Run(context.Background()))
	assert.ErrorContains(t, n.Run(context.Background()), "already been run")
}

func TestRunWithoutObservationGivesTheSameResult(t *testing.T) {
	var got []int
	n := New("commstime", WithoutObservation()).Add(commsTime(5, &got)...)
	require.NoError(t, n.Run(context.Background()))
	assert.Equal(t, []int{0, 1, 2, 3, 4}, got)
	s := n.Snapshot()
	assert.Len(t, s.Processes, 4)
	assert.Equal(t, uint64(5), s.Channels[3].Messages, "d carried 5 values")
}

func TestRunReportsWhichProcessFailedAndHow(t *testing.T) {
	boom := errors.New("boom")
	c := csp.NewChan[int]()
	r := c.Reader()
	n := New("fail").Add(
		components.Generator("gen", []int{1, 2, 3}, c.Writer()),
		csp.Proc("bad", func(ctx context.Context) error { _, _ = r.Read(); return boom }, r),
	)
	err := n.Run(context.Background())
	require.ErrorIs(t, err, boom)
	var pe *csp.ProcessError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "bad", pe.Process)
	var buf bytes.Buffer
	require.NoError(t, n.Topology().WriteJSON(&buf))
	// The snapshot says which process failed, and how.
	states := map[string][2]string{}
	for _, p := range n.Snapshot().Processes {
		states[p.Name] = [2]string{p.State, p.Error}
	}
	assert.Equal(t, [2]string{"failed", "boom"}, states["bad"])
}

func TestRunObservesProcessesStartedAtRunTime(t *testing.T) {
	out := csp.NewChan[int](csp.Named("out"))
	ow, or := out.Writer(), out.Reader()
	var got []int
	n := New("spawn").Add(
		csp.Proc("parent", func(ctx context.Context) error {
			// A channel and a process made at run time: the child is observed and Run waits for it.
			inner := csp.NewChan[int](csp.Named("inner"))
			iw, ir := inner.Writer(), inner.Reader()
			if err := csp.Own(ctx, ir); err != nil {
				return err
			}
			h := csp.SpawnContext(ctx, components.Generator("child", []int{1, 2}, iw))
			for { // copy the child's values on until it retires
				v, err := ir.Read()
				if errors.Is(err, csp.ErrRetired) {
					break
				}
				if err != nil {
					return err
				}
				if err := ow.Write(v); err != nil {
					return err
				}
			}
			ir.Retire()
			return h.Wait()
		}, ow),
		components.Collector("col", or, &got),
	)
	require.NoError(t, n.Run(context.Background()))
	assert.Equal(t, []int{1, 2}, got)
	s := n.Snapshot()
	ids := map[string]string{}
	for _, p := range s.Processes {
		ids[p.Name] = p.ID
	}
	assert.Equal(t, "p1", ids["parent"])
	assert.Equal(t, "p2", ids["col"])
	assert.Regexp(t, `^d\d+$`, ids["child"])
	chans := map[string]string{}
	for _, c := range s.Channels {
		chans[c.Name] = c.ID
	}
	assert.Equal(t, map[string]string{"out": "c1", "inner": "dc1"}, chans)
	// The child is not in the topology, so the snapshot says which ends it holds; for declared
	// processes it lists only the ends they adopted while running.
	for _, p := range s.Processes {
		switch p.Name {
		case "child":
			assert.Equal(t, []format.OwnedEnd{{Channel: "dc1", Dir: "write"}}, p.Ends)
		case "parent":
			assert.Equal(t, []format.OwnedEnd{{Channel: "dc1", Dir: "read"}}, p.Ends)
		default:
			assert.Empty(t, p.Ends, p.Name)
		}
	}
}

func TestRunCancelledPoisonsAndIsNoDeadlock(t *testing.T) {
	// The reader waits on a channel whose writer end no process owns: an outside end, so the
	// network is not deadlocked, only cancelling it ends it.
	c := csp.NewChan[int]()
	r := c.Reader()
	_ = c.Writer()
	ctx, cancel := context.WithCancel(context.Background())
	n := New("cancel", WithOutsideEnds()).Add(
		csp.Proc("reader", func(ctx context.Context) error { _, err := r.Read(); return err }, r),
		csp.Proc("canceller", func(ctx context.Context) error { cancel(); return nil }),
	)
	err := n.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	var de *DeadlockError
	assert.False(t, errors.As(err, &de))
	assert.True(t, c.Stats().Poisoned)
}

func TestLoggerHearsOfTheDeadlock(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	net := crossNet(false)
	net.cfg.log = zap.New(core)
	require.Error(t, net.Run(context.Background()))
	warn := logs.FilterMessage("network deadlocked").All()
	require.Len(t, warn, 1)
	assert.Equal(t, "graphs: deadlock: a reads x ← b reads y ← a", warn[0].ContextMap()["deadlock"])
	assert.Equal(t, "cross", warn[0].ContextMap()["network"])
}

// The README's first network with the writer end left out of its csp.Proc: the producer writes
// through an end it does not own, so nothing retires it when the producer ends, and the consumer
// would wait for it forever (no deadlock either: an end held outside might still write). Run
// refuses the network at start, naming the end, instead of hanging after printing 1 2 3.
func TestRunRefusesUnownedEnds(t *testing.T) {
	c := csp.NewChan[int](csp.Named("numbers"))
	w, r := c.Writer(), c.Reader()
	produce := func(ctx context.Context) error {
		for i := 1; i <= 3; i++ {
			if err := w.Write(i); err != nil {
				return err
			}
		}
		return nil
	}
	consume := func(ctx context.Context) error {
		for {
			if _, err := r.Read(); err != nil {
				return err
			}
		}
	}
	n := New("first").Add(csp.Proc("producer", produce), csp.Proc("consumer", consume, r)) // w left out
	err := n.Run(context.Background())
	var ue *UnownedEndsError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, []string{`a writer end of "numbers"`}, ue.Ends)
	require.Contains(t, err.Error(), `graphs: network "first": no process owns a writer end of "numbers"`)
	<-n.Done() // a refused run is over

	// The same network with w owned runs to its end.
	n = New("first").Add(csp.Proc("producer", produce, w), csp.Proc("consumer", consume, r))
	require.NoError(t, n.Run(context.Background()))
}
