package graphs

import "slices"

// hop is one step along a wait-for cycle: node waits, by its wait-th operation, for the next hop's
// node.
type hop struct{ node, wait int }

// cycles returns one wait-for cycle for each strongly connected component of g that has one (a
// component of several processes, or one process waiting on itself): the shortest cycle through the
// component's first node, starting there. Components come in the order of their first nodes.
func (g *waitForGraph) cycles() [][]hop {
	comp, n := g.components()
	size := make([]int, n)
	for _, c := range comp {
		size[c]++
	}
	seen := make([]bool, n)
	var cs [][]hop
	for v := range g.len() { // node order, so each component is met first at its first node
		c := comp[v]
		if seen[c] {
			continue
		}
		seen[c] = true
		if size[c] > 1 || g.waitsOnItself(v) {
			cs = append(cs, g.shortestCycle(v, comp))
		}
	}
	return cs
}

// components finds the strongly connected components of g by Tarjan's algorithm, iteratively so
// that a large network cannot overflow the stack. comp[v] is v's component number, n their count.
func (g *waitForGraph) components() (comp []int, n int) {
	const unvisited = -1
	index, low := make([]int, g.len()), make([]int, g.len())
	onStack := make([]bool, g.len())
	comp = make([]int, g.len())
	for v := range index {
		index[v] = unvisited
	}
	var stack []int // Tarjan's stack of nodes not yet assigned a component
	next := 0
	visit := func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
	}
	// frame is one level of the depth-first search: node v, and the next of its edges to follow.
	type frame struct{ v, e int }
	for root := range g.len() {
		if index[root] != unvisited {
			continue
		}
		visit(root)
		call := []frame{{root, 0}}
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.e < len(g.adj[v]) {
				w := g.adj[v][f.e].to
				f.e++
				if index[w] == unvisited {
					visit(w)
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			// Every edge of v followed: return to the caller, then close v's component if v is
			// its root.
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
					comp[w] = n
					if w == v {
						break
					}
				}
				n++
			}
		}
	}
	return comp, n
}

// shortestCycle returns a shortest cycle from v back to v that stays inside v's component, found
// by breadth-first search; among cycles of equal length it follows lower-numbered nodes first.
func (g *waitForGraph) shortestCycle(v int, comp []int) []hop {
	prev := make(map[int]hop) // node → the hop that first reached it
	for queue := []int{v}; len(queue) > 0; {
		u := queue[0]
		queue = queue[1:]
		for _, e := range g.adj[u] {
			if comp[e.to] != comp[v] {
				continue
			}
			if _, ok := prev[e.to]; ok {
				continue
			}
			prev[e.to] = hop{u, e.wait}
			if e.to == v {
				queue = nil
				break
			}
			queue = append(queue, e.to)
		}
	}
	// Walk back from v to v, then turn the walk round.
	var cyc []hop
	for u := v; ; {
		h := prev[u]
		cyc = append(cyc, h)
		if u = h.node; u == v {
			break
		}
	}
	slices.Reverse(cyc)
	return cyc
}
