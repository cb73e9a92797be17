package graphs

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDeadlock builds a csp.Deadlock by hand, to pin the report for wait-for graphs that are hard
// to force in a live network. Each process is named and waits on one or more channels; a wait
// lists its peers by name. Ranks are the processes' order in procs.
type fakeDeadlock struct {
	procs []fakeProc
	chans map[string]csp.Channel
}

type fakeProc struct {
	name  string
	waits []fakeWait
}

type fakeWait struct {
	op    csp.Dir
	ch    string
	peers []string
}

func reads(ch string, peers ...string) fakeWait  { return fakeWait{csp.DirRead, ch, peers} }
func writes(ch string, peers ...string) fakeWait { return fakeWait{csp.DirWrite, ch, peers} }

// report builds the DeadlockError of f with Blocked listed in the given order (a permutation of
// procs' indices), ranking processes by their place in procs.
func (f *fakeDeadlock) report(order []int) *DeadlockError {
	if f.chans == nil {
		f.chans = map[string]csp.Channel{}
	}
	refs := make(map[string]csp.ProcessRef, len(f.procs))
	for i, p := range f.procs {
		refs[p.name] = csp.ProcessRef{ID: uint64(100 + i), Name: p.name}
	}
	d := &csp.Deadlock{}
	for _, i := range order {
		p := f.procs[i]
		info := csp.ProcessInfo{ProcessRef: refs[p.name], State: csp.StateAlting}
		for _, w := range p.waits {
			c, ok := f.chans[w.ch]
			if !ok {
				c = csp.NewChan[int](csp.Named(w.ch)).Reader().Channel()
				f.chans[w.ch] = c
			}
			op := csp.PendingOp{Channel: c, Op: w.op}
			for _, q := range w.peers {
				op.Peers = append(op.Peers, refs[q])
			}
			info.Waits = append(info.Waits, op)
		}
		d.Blocked = append(d.Blocked, info)
	}
	return newDeadlockError(d, func(r csp.ProcessRef) uint64 { return r.ID })
}

// check builds the report with Blocked in several orders and asserts the message is want in every
// one: the report depends on the ranks, never on the order the monitor listed the processes.
func (f *fakeDeadlock) check(t *testing.T, want string) *DeadlockError {
	t.Helper()
	order := make([]int, len(f.procs))
	for i := range order {
		order[i] = i
	}
	de := f.report(order)
	assert.Equal(t, want, de.Error())
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		assert.Equal(t, want, f.report(slices.Clone(order)).Error(), "Blocked in order %v", order)
	}
	return de
}

func TestReportNamesEachOfTwoDisjointCycles(t *testing.T) {
	f := &fakeDeadlock{procs: []fakeProc{
		{"a", []fakeWait{reads("x", "b")}},
		{"b", []fakeWait{reads("y", "a")}},
		{"c", []fakeWait{writes("z", "d")}},
		{"d", []fakeWait{writes("w", "c")}},
	}}
	de := f.check(t, "graphs: deadlock: a reads x ← b reads y ← a; and c writes z → d writes w → c")
	require.Len(t, de.Cycles, 2)
	assert.Empty(t, de.Waiting)
}

// A process outside the cycles is reported with the wait that leads, through other blocked
// processes, into a cycle, not merely its first wait; one that cannot reach a cycle with its first.
func TestReportGivesTheWaitThatLeadsIntoTheCycle(t *testing.T) {
	f := &fakeDeadlock{procs: []fakeProc{
		{"a", []fakeWait{reads("x", "b")}},
		{"b", []fakeWait{reads("y", "a")}},
		{"e", []fakeWait{reads("q", "g"), reads("p", "f")}}, // q leads to g, a dead end; p to f
		{"f", []fakeWait{writes("r", "a")}},                 // f waits into the cycle
		{"g", []fakeWait{reads("never")}},                   // nobody could complete it
	}}
	de := f.check(t, "graphs: deadlock: a reads x ← b reads y ← a; blocked outside the cycle: e reads p, f writes r, g reads never")
	require.Len(t, de.Waiting, 3)
}

// The cycle reported for a strongly connected component is a shortest one through its
// first-ranked process, and each process is reported once.
func TestReportTakesTheShortestCycleThroughTheFirstProcess(t *testing.T) {
	// a → b → c → d → a, and a shortcut c → a; d also waits on b.
	f := &fakeDeadlock{procs: []fakeProc{
		{"a", []fakeWait{reads("ab", "b")}},
		{"b", []fakeWait{reads("bc", "c")}},
		{"c", []fakeWait{reads("cd", "d"), reads("ca", "a")}},
		{"d", []fakeWait{reads("da", "a", "b")}},
	}}
	de := f.check(t, "graphs: deadlock: a reads ab ← b reads bc ← c reads ca ← a; blocked outside the cycle: d reads da")
	require.Len(t, de.Cycles, 1)
}

// A wait-for graph as large as a big network's: the cycle finding is iterative, so its depth is
// no limit, and a cycle through every process is reported whole.
func TestReportHandlesALongRing(t *testing.T) {
	const n = 10000
	f := &fakeDeadlock{}
	for i := range n {
		f.procs = append(f.procs, fakeProc{fmt.Sprintf("p%d", i), []fakeWait{
			writes(fmt.Sprintf("c%d", i), fmt.Sprintf("p%d", (i+1)%n)),
		}})
	}
	order := make([]int, n)
	for i := range order {
		order[i] = n - 1 - i
	}
	de := f.report(order)
	require.Len(t, de.Cycles, 1)
	require.Len(t, de.Cycles[0], n)
	assert.Equal(t, "p0", de.Cycles[0][0].Process.Name)
	assert.True(t, strings.HasSuffix(de.Error(), "p9999 writes c9999 → p0"))
}

func TestReportWithoutCycleListsEveryBlockedProcess(t *testing.T) {
	f := &fakeDeadlock{procs: []fakeProc{
		{"a", []fakeWait{reads("never")}},
		{"b", []fakeWait{writes("nowhere")}},
	}}
	de := f.check(t, "graphs: deadlock: no wait-for cycle; every live process is blocked: a reads never, b writes nowhere")
	assert.Empty(t, de.Cycles)
}
