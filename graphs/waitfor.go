package graphs

import (
	"cmp"
	"slices"

	"github.com/gocsp/gocsp/csp"
)

// waitForGraph is the wait-for graph of a deadlock. Its nodes are the blocked processes, sorted by
// rank so that everything derived from the graph is independent of the order in which the monitor
// listed them; an edge runs from a process to each blocked peer that could complete one of its
// waits.
type waitForGraph struct {
	procs []csp.ProcessInfo
	// adj[v] lists v's successors in node order, once each, with the first of v's waits that leads
	// there.
	adj [][]waitEdge
}

// waitEdge is an edge of the wait-for graph: to is the peer's node, wait the index in the waiting
// process's Waits of the operation the peer could complete.
type waitEdge struct{ to, wait int }

// newWaitForGraph builds the wait-for graph of the blocked processes; rank orders them.
func newWaitForGraph(blocked []csp.ProcessInfo, rank func(csp.ProcessRef) uint64) *waitForGraph {
	procs := slices.Clone(blocked)
	ranks := make(map[uint64]uint64, len(procs))
	for _, p := range procs {
		ranks[p.ID] = rank(p.ProcessRef)
	}
	slices.SortFunc(procs, func(a, b csp.ProcessInfo) int { return cmp.Compare(ranks[a.ID], ranks[b.ID]) })
	node := make(map[uint64]int, len(procs))
	for v, p := range procs {
		node[p.ID] = v
	}
	adj := make([][]waitEdge, len(procs))
	for v, p := range procs {
		for k, w := range p.Waits {
			for _, q := range w.Peers {
				to, blocked := node[q.ID]
				if blocked && !slices.ContainsFunc(adj[v], func(e waitEdge) bool { return e.to == to }) {
					adj[v] = append(adj[v], waitEdge{to, k})
				}
			}
		}
		slices.SortFunc(adj[v], func(a, b waitEdge) int { return a.to - b.to })
	}
	return &waitForGraph{procs: procs, adj: adj}
}

// len is the number of nodes.
func (g *waitForGraph) len() int { return len(g.procs) }

// step says that node v waits by its wait-th operation.
func (g *waitForGraph) step(v, wait int) WaitStep {
	w := g.procs[v].Waits[wait]
	return WaitStep{Process: g.procs[v].ProcessRef, Op: w.Op, Channel: w.Channel}
}

// waitsOnItself reports whether v has an edge to itself: it waits on a channel whose other side
// only it holds.
func (g *waitForGraph) waitsOnItself(v int) bool {
	return slices.ContainsFunc(g.adj[v], func(e waitEdge) bool { return e.to == v })
}

// reaching marks the nodes from which some marked node can be reached (the marked ones included).
func (g *waitForGraph) reaching(marked []bool) []bool {
	reach := slices.Clone(marked)
	for changed := true; changed; {
		changed = false
		for v := range g.procs {
			if reach[v] {
				continue
			}
			if slices.ContainsFunc(g.adj[v], func(e waitEdge) bool { return reach[e.to] }) {
				reach[v], changed = true, true
			}
		}
	}
	return reach
}
