package render

import (
	"math"
	"slices"
)

// The ring layout draws a network that is a ring (the dining philosophers: each philosopher
// between two forks) as the ring it is, with at most two hubs (the butler) in the middle. Graphviz
// and the layered layout both stretch such a ring into a tall ladder whose labels crowd together.

// ringOrder returns the ring's nodes in order round it and the hubs, or ok false when g is not a
// ring: after removing at most two hubs (the best connected nodes, one at a time, while any node
// has more than two distinct neighbours), the rest — four nodes at least — must form one simple
// cycle.
func (g *Graph) ringOrder() (ring, hubs []int, ok bool) {
	n := len(g.nodes)
	if n < 4 {
		return nil, nil, false
	}
	nbrs := make([]map[int]bool, n)
	for i := range nbrs {
		nbrs[i] = map[int]bool{}
	}
	for _, e := range g.edges {
		if e.from != e.to {
			nbrs[e.from][e.to] = true
			nbrs[e.to][e.from] = true
		}
	}
	// Hubs go one at a time, the best connected first: removing the butler
	// leaves each philosopher with only its two forks.
	isHub := make([]bool, n)
	deg := func(i int) int {
		d := 0
		for j := range nbrs[i] {
			if !isHub[j] {
				d++
			}
		}
		return d
	}
	for {
		best := -1
		for i := range n {
			if !isHub[i] && deg(i) > 2 && (best < 0 || deg(i) > deg(best)) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		if len(hubs) == 2 {
			return nil, nil, false
		}
		isHub[best] = true
		hubs = append(hubs, best)
	}
	if n-len(hubs) < 4 {
		return nil, nil, false
	}
	start := -1
	for i := range n {
		if isHub[i] {
			continue
		}
		if deg(i) != 2 {
			return nil, nil, false
		}
		if start < 0 {
			start = i
		}
	}
	// Walk round from start; the cycle must take in every ring node.
	prev, cur := -1, start
	for {
		ring = append(ring, cur)
		next := -1
		for _, j := range slices.Sorted(mapKeys(nbrs[cur])) {
			if !isHub[j] && j != prev {
				next = j
				break
			}
		}
		prev, cur = cur, next
		if cur == start || cur < 0 || len(ring) > n {
			break
		}
	}
	if cur != start || len(ring) != n-len(hubs) {
		return nil, nil, false
	}
	return ring, hubs, true
}

func mapKeys(m map[int]bool) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// ringLayout places the nodes of a ring (see ringOrder) and routes every edge; it returns the
// drawing's size.
func (g *Graph) ringLayout(ring, hubs []int) (width, height float64) {
	g.sizeNodes()
	// The circumference leaves each node its width and room for the labels of the edges
	// between neighbours.
	circ := 0.0
	for _, i := range ring {
		circ += max(g.nodes[i].w, g.nodes[i].h) + 110
	}
	r := max(160, circ/(2*math.Pi))
	for k, i := range ring {
		a := -math.Pi/2 + 2*math.Pi*float64(k)/float64(len(ring))
		g.nodes[i].x, g.nodes[i].y = r*math.Cos(a), r*math.Sin(a)
	}
	for k, i := range hubs {
		g.nodes[i].x, g.nodes[i].y = 0, (float64(k)-float64(len(hubs)-1)/2)*(g.nodes[i].h+40)
	}

	// Edges between the same two nodes bow apart, so that both and their labels show.
	type pair struct{ a, b int }
	key := func(e ledge) pair { return pair{min(e.from, e.to), max(e.from, e.to)} }
	count := map[pair]int{}
	for _, e := range g.edges {
		count[key(e)]++
	}
	seen := map[pair]int{}
	for i := range g.edges {
		e := &g.edges[i]
		k := key(*e)
		m, j := count[k], seen[k]
		seen[k]++
		u, v := g.nodes[e.from], g.nodes[e.to]
		dx, dy := v.x-u.x, v.y-u.y
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		// The bow's side is fixed by the pair, not the edge's direction.
		px, py := -(dy / l), dx/l
		if e.from != k.a {
			px, py = -px, -py
		}
		bow := (float64(j) - float64(m-1)/2) * 34
		x0, y0 := clip(u, dx, dy)
		x3, y3 := clip(v, -dx, -dy)
		c1x, c1y := x0+(x3-x0)/3+px*bow*1.33, y0+(y3-y0)/3+py*bow*1.33
		c2x, c2y := x0+2*(x3-x0)/3+px*bow*1.33, y0+2*(y3-y0)/3+py*bow*1.33
		// Step back from the target so that the arrowhead ends on its border.
		ax, ay := x3-c2x, y3-c2y
		if al := math.Hypot(ax, ay); al > 0 {
			x3, y3 = x3-2*ax/al, y3-2*ay/al
		}
		e.path = &[4][2]float64{{x0, y0}, {c1x, c1y}, {c2x, c2y}, {x3, y3}}
		// Spokes carry several labels: spread them along the edge.
		e.labelAt = 0.5
		if m > 1 {
			e.labelAt = 0.35 + 0.3*float64(j)/float64(m-1)
		}
	}

	// Shift everything into the positive quadrant, labels included.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(x0, y0, x1, y1 float64) {
		minX, minY, maxX, maxY = min(minX, x0), min(minY, y0), max(maxX, x1), max(maxY, y1)
	}
	for _, nd := range g.nodes {
		grow(nd.x-nd.w/2, nd.y-nd.h/2, nd.x+nd.w/2, nd.y+nd.h/2)
	}
	for _, e := range g.edges {
		if e.path == nil || len(e.label) == 0 {
			continue
		}
		x, y := bezier(*e.path, e.labelAt)
		w, h := linesSize(e.label)
		grow(x-w/2, y-h-2, x+w/2, y+2)
	}
	dx, dy := margin-minX, margin-minY
	for i := range g.nodes {
		g.nodes[i].x += dx
		g.nodes[i].y += dy
	}
	for _, e := range g.edges {
		if e.path != nil {
			for k := range e.path {
				e.path[k][0] += dx
				e.path[k][1] += dy
			}
		}
	}
	return maxX - minX + 2*margin, maxY - minY + 2*margin
}

// clip returns where the ray from n's centre in direction (dx, dy) leaves n's shape.
func clip(n lnode, dx, dy float64) (float64, float64) {
	hw, hh := n.w/2, n.h/2
	t := math.Inf(1)
	if n.ellipse {
		t = 1 / math.Sqrt(dx*dx/(hw*hw)+dy*dy/(hh*hh))
	} else {
		if dx != 0 {
			t = min(t, hw/math.Abs(dx))
		}
		if dy != 0 {
			t = min(t, hh/math.Abs(dy))
		}
	}
	return n.x + t*dx, n.y + t*dy
}

// bezier returns the point at t of the cubic curve p.
func bezier(p [4][2]float64, t float64) (float64, float64) {
	s := 1 - t
	a, b, c, d := s*s*s, 3*s*s*t, 3*s*t*t, t*t*t
	return a*p[0][0] + b*p[1][0] + c*p[2][0] + d*p[3][0], a*p[0][1] + b*p[1][1] + c*p[2][1] + d*p[3][1]
}
