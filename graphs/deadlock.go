package graphs

import (
	"cmp"
	"slices"
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
//	deadlock: philosopher-2 writes left-fork-3 → fork-3 reads right-fork-3 ← philosopher-3 … → philosopher-2
//
// An arrow points the way the value would flow: after "writes" to the reader that would take it,
// after "reads" from the writer that would give it. The blocked processes outside the cycles follow,
// apart.
func (e *DeadlockError) Error() string {
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

// newDeadlockError builds the wait-for graph of d (process → the peers that could complete one of
// its waits), finds its strongly connected components, and extracts one shortest cycle through each
// cyclic one. rank orders processes so that the report does not depend on goroutine start order.
func newDeadlockError(d *csp.Deadlock, rank func(csp.ProcessRef) uint64) *DeadlockError {
	bl := slices.Clone(d.Blocked)
	ranks := make(map[uint64]uint64, len(bl))
	for _, p := range bl {
		ranks[p.ID] = rank(p.ProcessRef)
	}
	slices.SortFunc(bl, func(a, b csp.ProcessInfo) int { return cmp.Compare(ranks[a.ID], ranks[b.ID]) })
	idx := make(map[uint64]int, len(bl))
	for i, p := range bl {
		idx[p.ID] = i
	}
	// adj[i] lists i's successors in rank order (idx order), each with the wait that leads there.
	type edge struct{ to, wait int }
	adj := make([][]edge, len(bl))
	for i, p := range bl {
		for k, w := range p.Waits {
			for _, q := range w.Peers {
				j, ok := idx[q.ID]
				if ok && !slices.ContainsFunc(adj[i], func(e edge) bool { return e.to == j }) {
					adj[i] = append(adj[i], edge{j, k})
				}
			}
		}
		slices.SortFunc(adj[i], func(a, b edge) int { return a.to - b.to })
	}
	step := func(i, k int) WaitStep {
		w := bl[i].Waits[k]
		return WaitStep{Process: bl[i].ProcessRef, Op: w.Op, Channel: w.Channel}
	}

	// Tarjan's algorithm, iteratively so that a large network cannot overflow the stack.
	const unvisited = -1
	index, low := make([]int, len(bl)), make([]int, len(bl))
	onStack := make([]bool, len(bl))
	comp := make([]int, len(bl)) // SCC number of each node
	for i := range index {
		index[i] = unvisited
	}
	var stack []int
	next, ncomp := 0, 0
	type frame struct{ v, e int }
	for root := range bl {
		if index[root] != unvisited {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.e < len(adj[v]) {
				w := adj[v][f.e].to
				f.e++
				if index[w] == unvisited {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				u := call[len(call)-1].v
				low[u] = min(low[u], low[v])
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					if w == v {
						break
					}
				}
				ncomp++
			}
		}
	}
	size := make([]int, ncomp)
	for _, c := range comp {
		size[c]++
	}
	cyclic := func(v int) bool {
		return size[comp[v]] > 1 || slices.ContainsFunc(adj[v], func(e edge) bool { return e.to == v })
	}

	de := &DeadlockError{Deadlock: d}
	inCycle := make([]bool, len(bl))
	seen := make([]bool, ncomp)
	for v := range bl { // in rank order, so each cycle starts at its first-ranked process
		c := comp[v]
		if seen[c] || !cyclic(v) {
			continue
		}
		seen[c] = true
		// Shortest cycle through v inside its component: BFS from v back to v.
		prev := make(map[int]edge) // node → (predecessor, its wait)
		queue := []int{v}
		found := false
		for len(queue) > 0 && !found {
			u := queue[0]
			queue = queue[1:]
			for _, e := range adj[u] {
				if comp[e.to] != c {
					continue
				}
				if _, ok := prev[e.to]; ok {
					continue
				}
				prev[e.to] = edge{u, e.wait}
				if e.to == v {
					found = true
					break
				}
				queue = append(queue, e.to)
			}
		}
		var cyc []WaitStep
		for u := v; ; {
			p := prev[u]
			cyc = append(cyc, step(p.to, p.wait))
			inCycle[p.to] = true
			u = p.to
			if u == v {
				break
			}
		}
		slices.Reverse(cyc)
		de.Cycles = append(de.Cycles, cyc)
	}

	// Which nodes reach a cycle: walk backwards from the cycles.
	reaches := slices.Clone(inCycle)
	for changed := true; changed; {
		changed = false
		for v := range bl {
			if reaches[v] {
				continue
			}
			for _, e := range adj[v] {
				if reaches[e.to] {
					reaches[v], changed = true, true
					break
				}
			}
		}
	}
	for v, p := range bl {
		if inCycle[v] || len(p.Waits) == 0 {
			continue
		}
		k := 0
		for _, e := range adj[v] {
			if reaches[e.to] {
				k = e.wait
				break
			}
		}
		de.Waiting = append(de.Waiting, step(v, k))
	}
	return de
}
