package graphs

import (
	"strings"

	"github.com/gocsp/gocsp/csp"
)

// WaitStep is one blocked process and the channel operation it waits on.
type WaitStep struct {
	Process csp.ProcessRef
	Op      csp.Dir
	Channel csp.Channel
}

// String says it as the deadlock message does: "philosopher-2 writes left-fork-3".
func (s WaitStep) String() string {
	return s.Process.Name + " " + s.Op.String() + "s " + s.Channel.Name()
}

// DeadlockError is what Run returns when the network deadlocked: every live process was blocked on
// channel operations that only blocked processes could complete. The monitor then poisoned the
// channels involved, and Run returned once every process had ended.
type DeadlockError struct {
	// Cycles are the wait-for cycles, one for each strongly connected component of the wait-for
	// graph: each step's process waits, by Op on Channel, for the next step's process, and the last
	// for the first.
	Cycles [][]WaitStep
	// Waiting are the blocked processes outside every cycle, each with the operation by which it
	// waits into a cycle (or, failing that, its first wait).
	Waiting []WaitStep
	// Deadlock is what the monitor reported.
	Deadlock *csp.Deadlock
	// Err is what the processes returned besides (errors.Join of failures), or nil.
	Err error
}

// Error names the cycle(s) in process and channel names, e.g.
//
//	graphs: deadlock: philosopher-2 writes left-fork-3 → fork-3 reads right-fork-3 ← philosopher-3 … → philosopher-2
//
// An arrow points the way the value would flow: after "writes" to the reader that would take it,
// after "reads" from the writer that would give it. The blocked processes outside the cycles follow,
// apart.
func (e *DeadlockError) Error() string { return "graphs: " + e.report() }

// report is the deadlock in words, without the package: what snapshots carry as its message.
func (e *DeadlockError) report() string {
	var b strings.Builder
	b.WriteString("deadlock: ")
	if len(e.Cycles) == 0 {
		b.WriteString("no wait-for cycle; every live process is blocked")
	}
	for i, c := range e.Cycles {
		if i > 0 {
			b.WriteString("; and ")
		}
		for _, s := range c {
			b.WriteString(s.String())
			if s.Op == csp.DirWrite {
				b.WriteString(" → ")
			} else {
				b.WriteString(" ← ")
			}
		}
		b.WriteString(c[0].Process.Name)
	}
	if len(e.Waiting) > 0 {
		if len(e.Cycles) > 0 {
			b.WriteString("; blocked outside the cycle: ")
		} else {
			b.WriteString(": ")
		}
		for i, s := range e.Waiting {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s.String())
		}
	}
	return b.String()
}

// Unwrap returns the processes' own failures, if any.
func (e *DeadlockError) Unwrap() error { return e.Err }

// newDeadlockError builds the report of d: one shortest cycle for each cyclic part of the wait-for
// graph, and every other blocked process with the wait that leads it into a cycle. rank orders
// processes, so that the report does not depend on the order in which goroutines started.
func newDeadlockError(d *csp.Deadlock, rank func(csp.ProcessRef) uint64) *DeadlockError {
	g := newWaitForGraph(d.Blocked, rank)
	de := &DeadlockError{Deadlock: d}
	inCycle := make([]bool, g.len())
	for _, c := range g.cycles() {
		steps := make([]WaitStep, len(c))
		for i, h := range c {
			steps[i] = g.step(h.node, h.wait)
			inCycle[h.node] = true
		}
		de.Cycles = append(de.Cycles, steps)
	}
	leadsIn := g.reaching(inCycle)
	for v, p := range g.procs {
		if inCycle[v] || len(p.Waits) == 0 {
			continue
		}
		de.Waiting = append(de.Waiting, g.step(v, waitInto(g.adj[v], leadsIn)))
	}
	return de
}

// waitInto returns the wait by which a process with the given edges waits for a process that
// leads into a cycle, or its first wait if none does.
func waitInto(edges []waitEdge, leadsIn []bool) int {
	for _, e := range edges {
		if leadsIn[e.to] {
			return e.wait
		}
	}
	return 0
}

// onDeadlock is the monitor's callback: it runs before the monitor poisons the channels, so the
// error is in place before any process sees the poison.
func (n *Network) onDeadlock(d *csp.Deadlock) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.deadlockLocked(d)
}

// deadlockLocked returns the DeadlockError for d, building it the first time: the tracer (which
// hears of the deadlock first) and onDeadlock share one.
func (n *Network) deadlockLocked(d *csp.Deadlock) *DeadlockError {
	if n.dl == nil || n.dl.Deadlock != d {
		n.dl = newDeadlockError(d, n.rankLocked)
	}
	return n.dl
}
