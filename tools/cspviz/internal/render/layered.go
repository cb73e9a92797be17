package render

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
)

// The built-in layered layout. Graphviz's dot reads best but its cost grows
// without bound on the shapes CSP networks take (a channel that a hundred sieve
// filters write to took a minute, and 124 processes more than eleven), and it
// runs as WebAssembly that nothing can interrupt. This layout costs
// O(sweeps × (nodes + edges)) and is used for everything Graphviz cannot be
// trusted with: ranks from the longest path after breaking cycles, orders
// within a rank from a few barycenter sweeps, tall ranks folded into several
// columns, a distributed network's nodes as boxes (each node's processes in a
// horizontal stripe of their own, so that no box holds another node's), and
// edges drawn as curves. Its SVG has the structure of
// Graphviz's (g.node and g.edge groups with the same ids, shapes, then text
// lines), so the page treats both alike.

// lline is one line of text in a node or an edge label. A live line is
// drawn empty: its width is reserved for values the page fills in.
type lline struct {
	text  string
	size  float64
	color string
	width string // the widest text the line must hold, when that is not text
}

type lnode struct {
	id, class, tip string
	lines          []lline
	ellipse        bool

	w, h, x, y float64 // size and centre
	rank, pos  int
	band       int // which band of a folded drawing (see band)
	col, ncol  int // which column of its rank, of how many (a tall rank folds)
	cluster    int // the node it runs on, an index in Graph.clusterNames; -1 if none
	stripe     int // which stripe of a drawing of nodes (see clusters)
	row        int // which row of its rank in its stripe
}

// foldSpan is where the columns of a folded rank lie within one band.
type foldSpan struct {
	l, r   float64 // left edge of its first column, right edge of its last
	c0, c1 int     // its first and last column
}

type ledge struct {
	id, class, tip string
	label          []lline
	from, to       int
	back           bool // drawn from to to from, and reversed (see backward)
	place          int  // where its label sits (see labelPos)

	path    *[4][2]float64 // the curve, when the layout routed it
	labelAt float64        // where on the curve the label sits, 0 to 1
}

func (g *Graph) addNode(n lnode, key string) {
	g.key[key] = len(g.nodes)
	g.nodes = append(g.nodes, n)
}

func (g *Graph) addEdge(e ledge, from, to string) {
	f, ok1 := g.key[from]
	t, ok2 := g.key[to]
	if !ok1 || !ok2 {
		return
	}
	e.from, e.to = f, t
	g.edges = append(g.edges, e)
}

func procLines(name, kind string, live bool) []lline {
	ls := []lline{{text: name, size: 14, color: "#222222"}}
	if kind != "" {
		ls = append(ls, lline{text: kind, size: 11, color: "#555555"})
	}
	if live {
		ls = append(ls, lline{size: 11, color: "#222222", width: statePlaceholder})
	}
	return ls
}

func chanLines(name string, buffer int, live bool) []lline {
	if buffer > 0 {
		name = fmt.Sprintf("%s [%d]", name, buffer)
	}
	ls := []lline{{text: name, size: 12, color: "#222222"}}
	if live {
		w := countPlaceholder
		if buffer > 0 {
			w += fmt.Sprintf(" · %d/%d", buffer, buffer)
		}
		ls = append(ls, lline{size: 12, color: "#222222", width: w})
	}
	return ls
}

// textWidth estimates the width in points of s in Helvetica at size: the
// page's font differs a little anyway, so an average glyph width will do.
func textWidth(s string, size float64) float64 {
	return float64(len([]rune(s))) * size * 0.56
}

func linesSize(ls []lline) (w, h float64) {
	for _, l := range ls {
		t := l.text
		if l.width != "" && len(l.width) > len(t) {
			t = l.width
		}
		w = max(w, textWidth(t, l.size))
		h += l.size + 3
	}
	return w, h
}

const (
	nodeSep   = 16.0 // between nodes of one column
	rankSep   = 46.0 // between columns, before labels widen it
	margin    = 12.0 // around the drawing
	sweeps    = 8    // barycenter sweeps; more rarely helps
	minColumn = 12   // a rank taller than this may fold into columns
)

// layered places g's nodes and returns the drawing's width and height.
func (g *Graph) layered() (width, height float64) {
	n := len(g.nodes)
	if n == 0 {
		return 2 * margin, 2 * margin
	}
	g.sizeNodes()
	out := make([][]int, n)
	in := make([][]int, n)
	for _, e := range g.edges {
		if e.from != e.to {
			out[e.from] = append(out[e.from], e.to)
			in[e.to] = append(in[e.to], e.from)
		}
	}
	g.rank(out, in)

	// Fold ranks taller than a column into several columns, so that a farm
	// of 64 workers is a block rather than a pole.
	maxRank := 0
	for _, nd := range g.nodes {
		maxRank = max(maxRank, nd.rank)
	}
	perRank := make([][]int, maxRank+1)
	for i, nd := range g.nodes {
		perRank[nd.rank] = append(perRank[nd.rank], i)
	}
	g.order(perRank, out, in)
	// A drawing with a bus leaves room under each band for the bus line and,
	// below it, the edges that wrap to the next band with their labels.
	g.bandGap = bandGap
	if g.busSet = g.busChannels(); len(g.busSet) > 0 {
		labelH := 0.0
		for _, e := range g.edges {
			_, h := linesSize(e.label)
			labelH = max(labelH, h)
		}
		g.bandGap = busDrop + labelH + 8 + 16
	}
	colMax := max(minColumn, int(math.Ceil(2*math.Sqrt(float64(n)))))

	// A rank taller than colMax folds into columns, its nodes dealt to
	// them in rows.
	// In a drawing of nodes, each rank holds the processes of one node
	// together, and the rows are dealt per node.
	stripes := g.clusters(perRank)
	ncol := make([]int, maxRank+1)
	for r, nodes := range perRank {
		ncol[r] = (len(nodes) + colMax - 1) / colMax
		j, stripe := 0, -1
		for _, i := range nodes {
			if nd := &g.nodes[i]; nd.stripe != stripe {
				j, stripe = 0, nd.stripe
			}
			g.nodes[i].col, g.nodes[i].row, g.nodes[i].ncol = j%ncol[r], j/ncol[r], ncol[r]
			j++
		}
	}
	// The label of an edge into a folded rank sits left of its box, and of
	// one out of it right of its box (see labelPos): the columns make room
	// for them, and its rows for their height. Any other label sits between
	// the ranks, and the gap after a rank is wide enough for those of the
	// edges leaving it.
	g.foldIn, g.foldOut = make([]float64, maxRank+1), make([]float64, maxRank+1)
	g.rowSep = make([]float64, maxRank+1)
	gap := make([]float64, maxRank+1)
	for r := range gap {
		gap[r], g.rowSep[r] = rankSep, nodeSep
	}
	// Where the edges of a fan, out of one node into a column of them or
	// in from one, would crowd their labels between the ranks, each label
	// sits beside the box at the fan's wide end, when it is that box's only
	// one on that side going that way (a backward edge's label sits under
	// the forward one's).
	geo := func(e ledge) (a, b int) { // the edge as drawn: from the earlier rank
		if g.nodes[e.from].rank > g.nodes[e.to].rank {
			return e.to, e.from
		}
		return e.from, e.to
	}
	ins, outs := make([][2]int, n), make([][2]int, n) // forwards, backwards
	dir := func(e ledge) int {
		if g.nodes[e.from].rank > g.nodes[e.to].rank {
			return 1
		}
		return 0
	}
	for _, e := range g.edges {
		if a, b := geo(e); len(e.label) > 0 && g.nodes[a].rank < g.nodes[b].rank {
			ins[b][dir(e)]++
			outs[a][dir(e)]++
		}
	}
	for k := range g.edges {
		e := &g.edges[k]
		if len(e.label) == 0 {
			continue
		}
		w, h := linesSize(e.label)
		a, b := geo(*e)
		u, v := g.nodes[a], g.nodes[b]
		switch {
		case u.rank == v.rank:
		case v.ncol > 1, len(perRank[v.rank]) > 1 && ins[b][dir(*e)] == 1:
			e.place = placeIn
		case u.ncol > 1, len(perRank[u.rank]) > 1 && outs[a][dir(*e)] == 1:
			e.place = placeOut
		}
		switch e.place {
		case placeIn:
			g.foldIn[v.rank] = max(g.foldIn[v.rank], w)
			g.rowSep[v.rank] = max(g.rowSep[v.rank], 2*(h+4)-v.h+2)
		case placeOut:
			g.foldOut[u.rank] = max(g.foldOut[u.rank], w)
			g.rowSep[u.rank] = max(g.rowSep[u.rank], 2*(h+4)-u.h+2)
		default:
			gap[u.rank] = max(gap[u.rank], w+24)
		}
	}
	x := margin
	var colHeights []float64
	var cols []colSpan
	for r, nodes := range perRank {
		k := ncol[r]
		colGap := rankSep / 2
		if g.foldIn[r] > 0 {
			x += g.foldIn[r] + foldLabelGap
		}
		if k > 1 && (g.foldIn[r] > 0 || g.foldOut[r] > 0) {
			colGap = max(g.foldIn[r], g.foldOut[r]) + 2*foldLabelGap
		}
		sep := g.rowSep[r]
		for c := range k {
			col := colSpan{x: x, rank: r}
			for _, i := range nodes {
				if g.nodes[i].col == c {
					col.nodes = append(col.nodes, i)
					col.w = max(col.w, g.nodes[i].w)
				}
			}
			h := 0.0
			for _, i := range col.nodes {
				h += g.nodes[i].h + sep
			}
			colHeights = append(colHeights, h-sep)
			cols = append(cols, col)
			x += col.w
			if c < k-1 {
				x += colGap
			}
		}
		if g.foldOut[r] > 0 {
			x += g.foldOut[r] + foldLabelGap
		}
		x += gap[r]
	}
	width = x - gap[maxRank] + margin
	height = slices.Max(colHeights) + 2*margin
	if stripes > 0 {
		height = g.placeStripes(perRank, cols, stripes)
		return g.band(cols, width, height)
	}

	// Centre each column (the columns of a folded rank on its first, so
	// that their rows line up), then pull the nodes of an unfolded rank
	// towards their neighbours in the columns before them, keeping the order
	// and the spacing.
	for ci, col := range cols {
		top := colHeights[ci]
		if g.nodes[col.nodes[0]].ncol > 1 {
			top = colHeights[ci-g.nodes[col.nodes[0]].col]
		}
		y := margin + (height-2*margin-top)/2
		for _, i := range col.nodes {
			nd := &g.nodes[i]
			nd.x = col.x + col.w/2
			nd.y = y + nd.h/2
			y += nd.h + g.rowSep[col.rank]
		}
	}
	for ci, col := range cols {
		if ci == 0 || g.nodes[col.nodes[0]].ncol > 1 {
			continue
		}
		want := make([]float64, len(col.nodes))
		for k, i := range col.nodes {
			sum, cnt := 0.0, 0
			for _, j := range in[i] {
				if g.nodes[j].x < g.nodes[i].x {
					sum += g.nodes[j].y
					cnt++
				}
			}
			want[k] = g.nodes[i].y
			if cnt > 0 {
				want[k] = sum / float64(cnt)
			}
		}
		// Top down: no node above its wish unless pushed by the one above.
		prev := math.Inf(-1)
		for k, i := range col.nodes {
			nd := &g.nodes[i]
			top := max(want[k]-nd.h/2, prev, margin)
			nd.y = top + nd.h/2
			prev = top + nd.h + g.rowSep[col.rank]
		}
		// Pushed off the bottom: shift up as far as needed, keeping spacing.
		next := height - margin
		for k := len(col.nodes) - 1; k >= 0; k-- {
			nd := &g.nodes[col.nodes[k]]
			if nd.y+nd.h/2 > next {
				nd.y = next - nd.h/2
			}
			next = nd.y - nd.h/2 - g.rowSep[col.rank]
		}
	}
	return g.band(cols, width, height)
}

// clusters groups each rank's nodes by the node of a distributed network
// they run on, in stripes from top to bottom ordered by where the ordering put
// them, and returns how many stripes there are (0 when no node says where it
// runs: then there are none).
func (g *Graph) clusters(perRank [][]int) int {
	if !slices.ContainsFunc(g.nodes, func(nd lnode) bool { return nd.cluster >= 0 }) {
		return 0
	}
	sum, cnt := map[int]float64{}, map[int]int{}
	for _, nodes := range perRank {
		for k, i := range nodes {
			c := g.nodes[i].cluster
			sum[c] += (float64(k) + 0.5) / float64(len(nodes))
			cnt[c]++
		}
	}
	order := make([]int, 0, len(cnt))
	for c := range cnt {
		order = append(order, c)
	}
	slices.SortFunc(order, func(a, b int) int {
		ma, mb := sum[a]/float64(cnt[a]), sum[b]/float64(cnt[b])
		switch {
		case ma < mb:
			return -1
		case ma > mb:
			return 1
		}
		return a - b
	})
	stripe := map[int]int{}
	for s, c := range order {
		stripe[c] = s
	}
	for i := range g.nodes {
		g.nodes[i].stripe = stripe[g.nodes[i].cluster]
	}
	for r := range perRank {
		slices.SortStableFunc(perRank[r], func(a, b int) int { return g.nodes[a].stripe - g.nodes[b].stripe })
		for k, i := range perRank[r] {
			g.nodes[i].pos = k
		}
	}
	return len(order)
}

// Room around the processes of a node in its box, above them for its title.
const (
	clusterPad   = 10.0
	clusterTitle = 22.0
	stripeGap    = 14.0
)

// placeStripes places the nodes of a drawing of nodes: each node's processes
// in a stripe of their own, the stripes one under another, so that the box
// around each node's processes holds no other node's; and returns the
// drawing's height.
func (g *Graph) placeStripes(perRank [][]int, cols []colSpan, stripes int) float64 {
	type part struct {
		rows int
		rowH float64
	}
	parts := make([]map[int]*part, len(perRank)) // by rank, by stripe
	tall := make([]float64, stripes)             // each stripe's height
	for r, nodes := range perRank {
		parts[r] = map[int]*part{}
		for _, i := range nodes {
			nd := g.nodes[i]
			p := parts[r][nd.stripe]
			if p == nil {
				p = &part{}
				parts[r][nd.stripe] = p
			}
			p.rows = max(p.rows, nd.row+1)
			p.rowH = max(p.rowH, nd.h)
		}
		for s, p := range parts[r] {
			tall[s] = max(tall[s], float64(p.rows)*(p.rowH+g.rowSep[r])-g.rowSep[r])
		}
	}
	boxed := map[int]bool{}
	for _, nd := range g.nodes {
		boxed[nd.stripe] = nd.cluster >= 0
	}
	top := make([]float64, stripes)
	y := margin
	for s := range stripes {
		if boxed[s] {
			y += clusterTitle + clusterPad
		}
		top[s] = y
		y += tall[s]
		if boxed[s] {
			y += clusterPad
		}
		y += stripeGap
	}
	g.stripeTop, g.stripeH = top, tall
	for _, col := range cols {
		for _, i := range col.nodes {
			nd := &g.nodes[i]
			p := parts[nd.rank][nd.stripe]
			h := float64(p.rows)*(p.rowH+g.rowSep[nd.rank]) - g.rowSep[nd.rank]
			nd.x = col.x + col.w/2
			nd.y = top[nd.stripe] + (tall[nd.stripe]-h)/2 + float64(nd.row)*(p.rowH+g.rowSep[nd.rank]) + p.rowH/2
		}
	}
	return y - stripeGap + margin
}

// nodeBox is the box drawn around the processes of one node of a
// distributed network, in one band of the drawing.
type nodeBox struct {
	cluster, band  int
	x0, y0, x1, y1 float64
}

// boxNodes finds the box of each node in each band: round its processes
// and channels and the labels beside them, as high as its stripe, and wide
// enough for its title.
func (g *Graph) boxNodes() {
	g.nodeBoxes = nil
	at := map[[2]int]int{}
	for _, nd := range g.nodes {
		if nd.cluster < 0 {
			continue
		}
		x0, x1 := nd.x-nd.w/2, nd.x+nd.w/2
		if nd.ncol > 1 && nd.col == 0 && g.foldIn[nd.rank] > 0 {
			x0 -= g.foldIn[nd.rank] + foldLabelGap
		}
		if nd.ncol > 1 && nd.col == nd.ncol-1 && g.foldOut[nd.rank] > 0 {
			x1 += g.foldOut[nd.rank] + foldLabelGap
		}
		k := [2]int{nd.cluster, nd.band}
		i, ok := at[k]
		if !ok {
			dy := float64(nd.band) * (g.bandH + g.bandGap)
			i = len(g.nodeBoxes)
			at[k] = i
			g.nodeBoxes = append(g.nodeBoxes, nodeBox{cluster: nd.cluster, band: nd.band,
				x0: math.Inf(1), x1: math.Inf(-1),
				y0: dy + g.stripeTop[nd.stripe] - clusterPad - clusterTitle, y1: dy + g.stripeTop[nd.stripe] + g.stripeH[nd.stripe] + clusterPad})
		}
		b := &g.nodeBoxes[i]
		b.x0, b.x1 = min(b.x0, x0-clusterPad), max(b.x1, x1+clusterPad)
	}
	for i := range g.nodeBoxes {
		b := &g.nodeBoxes[i]
		b.x1 = max(b.x1, b.x0+textWidth(g.nodeTitle(b.cluster), 13)+16)
	}
	slices.SortFunc(g.nodeBoxes, func(a, b nodeBox) int {
		if a.cluster != b.cluster {
			return a.cluster - b.cluster
		}
		return a.band - b.band
	})
}

func (g *Graph) nodeTitle(cluster int) string { return "node " + g.clusterNames[cluster] }

// bandGap is the room between two bands of a folded drawing without a bus;
// busDrop is how far under its band a bus line runs.
const (
	bandGap = 40.0
	busDrop = 10.0
)

// colSpan is one column of the drawing: its left edge, width, rank and nodes.
type colSpan struct {
	x, w  float64
	rank  int
	nodes []int
}

// Where an edge's label sits: between the ranks, or beside the box it
// goes into or comes out of.
const (
	placeMid = iota
	placeIn
	placeOut
)

// foldLabelGap is the room between a folded rank's box and the label beside
// it, for the edge that turns into or out of the box.
const foldLabelGap = 14.0

// band folds a drawing much wider than high (a sieve of a hundred filters is
// one long row) into bands stacked top to bottom, like lines of text, so that
// fitting it to a window leaves it readable.
func (g *Graph) band(cols []colSpan, width, height float64) (float64, float64) {
	const aspect = 1.6 // about a window's
	g.bandH = height
	b := int(math.Round(math.Sqrt(width / (aspect * height))))
	if b < 2 || len(cols) < 2 {
		return width, height
	}
	per := (width - 2*margin) / float64(b)
	band, start := 0, margin
	newW := 0.0
	for i, c := range cols {
		if i > 0 && c.x-margin >= float64(band+1)*per && band < b-1 {
			newW = max(newW, cols[i-1].x+cols[i-1].w-start+2*margin)
			band++
			start = c.x
		}
		dy := float64(band) * (height + g.bandGap)
		for _, n := range c.nodes {
			g.nodes[n].x += margin - start
			g.nodes[n].y += dy
			g.nodes[n].band = band
		}
		if i == len(cols)-1 {
			newW = max(newW, c.x+c.w-start+2*margin)
		}
	}
	return newW, float64(band+1)*height + float64(band)*g.bandGap
}

// sizeNodes sizes every node to fit its lines.
func (g *Graph) sizeNodes() {
	for i := range g.nodes {
		nd := &g.nodes[i]
		w, h := linesSize(nd.lines)
		if nd.ellipse {
			nd.w, nd.h = w*1.25+16, h*1.3+8
		} else {
			nd.w, nd.h = max(w+22, 54), h+12
		}
	}
}

// rank gives every node its rank: the longest path to it from a source
// after the edges that close cycles are turned round.
func (g *Graph) rank(out, in [][]int) {
	n := len(g.nodes)
	const (
		unseen = iota
		onStack
		done
	)
	state := make([]int, n)
	back := map[[2]int]bool{}
	// Iterative DFS: a sieve's chain is as deep as the network is long.
	type frame struct{ v, k int }
	for s := range n {
		if state[s] != unseen {
			continue
		}
		stack := []frame{{s, 0}}
		state[s] = onStack
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.k < len(out[f.v]) {
				w := out[f.v][f.k]
				f.k++
				switch state[w] {
				case unseen:
					state[w] = onStack
					stack = append(stack, frame{w, 0})
				case onStack:
					back[[2]int{f.v, w}] = true
				}
				continue
			}
			state[f.v] = done
			stack = stack[:len(stack)-1]
		}
	}
	indeg := make([]int, n)
	for v := range n {
		for _, w := range out[v] {
			if !back[[2]int{v, w}] {
				indeg[w]++
			}
		}
	}
	queue := make([]int, 0, n)
	for v := range n {
		if indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range out[v] {
			if back[[2]int{v, w}] {
				continue
			}
			g.nodes[w].rank = max(g.nodes[w].rank, g.nodes[v].rank+1)
			if indeg[w]--; indeg[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
}

// order sorts each rank by the mean position of each node's neighbours in
// the ranks already placed, sweeping forwards and backwards.
func (g *Graph) order(perRank [][]int, out, in [][]int) {
	pos := func(i int) float64 {
		nd := g.nodes[i]
		return (float64(nd.pos) + 0.5) / float64(len(perRank[nd.rank]))
	}
	number := func(r int) {
		for k, i := range perRank[r] {
			g.nodes[i].pos = k
		}
	}
	for r := range perRank {
		number(r)
	}
	bary := make([]float64, len(g.nodes))
	sweep := func(r int, nbrs [][]int, before func(int) bool) {
		for _, i := range perRank[r] {
			sum, cnt := 0.0, 0
			for _, j := range nbrs[i] {
				if before(g.nodes[j].rank) {
					sum += pos(j)
					cnt++
				}
			}
			if cnt > 0 {
				bary[i] = sum / float64(cnt)
			} else {
				bary[i] = pos(i)
			}
		}
		slices.SortStableFunc(perRank[r], func(a, b int) int {
			switch {
			case bary[a] < bary[b]:
				return -1
			case bary[a] > bary[b]:
				return 1
			}
			return 0
		})
		number(r)
	}
	for s := range sweeps {
		if s%2 == 0 {
			for r := 1; r < len(perRank); r++ {
				sweep(r, in, func(q int) bool { return q < r })
			}
		} else {
			for r := len(perRank) - 2; r >= 0; r-- {
				sweep(r, out, func(q int) bool { return q > r })
			}
		}
	}
}

// builtinSVG lays g out with a built-in layout and draws it: the ring
// layout for a ring, else the layered one (or always the layered one when
// ring is false). It returns which it used.
func (g *Graph) builtinSVG(ring bool) ([]byte, string) {
	if r, hubs, ok := g.ringOrder(); ring && ok {
		w, h := g.ringLayout(r, hubs)
		return g.drawSVG(w, h), LayoutRing
	}
	w, h := g.layered()
	right := 0.0
	g.folds = map[[2]int]foldSpan{}
	for _, nd := range g.nodes {
		right = max(right, nd.x+nd.w/2)
		if nd.ncol < 2 {
			continue
		}
		k := [2]int{nd.rank, nd.band}
		f, ok := g.folds[k]
		if !ok {
			f = foldSpan{l: math.Inf(1), r: math.Inf(-1), c0: nd.col, c1: nd.col}
		}
		f.l, f.r = min(f.l, nd.x-nd.w/2), max(f.r, nd.x+nd.w/2)
		f.c0, f.c1 = min(f.c0, nd.col), max(f.c1, nd.col)
		g.folds[k] = f
	}
	g.bus = g.buses()
	g.boxNodes()
	g.findColumns()
	return g.drawSVG(w, h), LayoutLayered
}

// column is one column of boxes as drawn: its extent across, and the
// extents down of its boxes, top to bottom.
type column struct {
	x0, x1 float64
	boxes  [][2]float64
}

// findColumns collects the drawing's columns, per band, left to right, and
// puts every box in the grid of cells it meets.
func (g *Graph) findColumns() {
	at := map[[3]int]int{}
	g.columns = map[int][]column{}
	for _, nd := range g.nodes {
		k := [3]int{nd.band, nd.rank, nd.col}
		i, ok := at[k]
		if !ok {
			i = len(g.columns[nd.band])
			at[k] = i
			g.columns[nd.band] = append(g.columns[nd.band], column{x0: math.Inf(1), x1: math.Inf(-1)})
		}
		c := &g.columns[nd.band][i]
		c.x0, c.x1 = min(c.x0, nd.x-nd.w/2), max(c.x1, nd.x+nd.w/2)
		c.boxes = append(c.boxes, [2]float64{nd.y - nd.h/2, nd.y + nd.h/2})
	}
	g.grid = map[[2]int][]int{}
	for i, nd := range g.nodes {
		lo, hi := gridCell(nd.x-nd.w/2-2, nd.y-nd.h/2-2), gridCell(nd.x+nd.w/2+2, nd.y+nd.h/2+2)
		for cx := lo[0]; cx <= hi[0]; cx++ {
			for cy := lo[1]; cy <= hi[1]; cy++ {
				g.grid[[2]int{cx, cy}] = append(g.grid[[2]int{cx, cy}], i)
			}
		}
	}
	for b, cs := range g.columns {
		for i := range cs {
			slices.SortFunc(cs[i].boxes, func(a, b [2]float64) int { return cmpFloat(a[0], b[0]) })
		}
		slices.SortFunc(cs, func(a, b column) int { return cmpFloat(a.x0, b.x0) })
		g.columns[b] = cs
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// threaded returns the curve from a to b, rightwards, through the columns
// of band that lie between them: across each column in a free slot between
// its boxes (the one nearest the straight line), and from column to column
// in the gaps between them, so that an edge spanning several ranks passes
// no box. It returns nil when no column lies between. lane spreads edges
// that share a slot.
func (g *Graph) threaded(a, b [2]float64, band int, lane float64) [][4][2]float64 {
	var parts [][4][2]float64
	cur := a
	for _, c := range g.columns[band] {
		if c.x0 <= a[0] || c.x1 >= b[0] {
			continue
		}
		mid := (c.x0 + c.x1) / 2
		want := a[1] + (b[1]-a[1])*(mid-a[0])/(b[0]-a[0]) + lane
		const pad = 3.0
		best, bestD := want, math.Inf(1)
		lo := math.Inf(-1)
		for k := 0; k <= len(c.boxes); k++ {
			hi := math.Inf(1)
			if k < len(c.boxes) {
				hi = c.boxes[k][0] - pad
			}
			if lo <= hi {
				y := min(max(want, lo), hi)
				if d := math.Abs(y - want); d < bestD {
					best, bestD = y, d
				}
			}
			if k < len(c.boxes) {
				lo = max(lo, c.boxes[k][1]+pad)
			}
		}
		in, out := [2]float64{c.x0 - 4, best}, [2]float64{c.x1 + 4, best}
		parts = append(parts, sCurve(cur, in), straight(in, out))
		cur = out
	}
	if parts == nil {
		return nil
	}
	return append(parts, sCurve(cur, b))
}

// sCurve is the curve from a to b leaving and arriving level.
func sCurve(a, b [2]float64) [4][2]float64 {
	dx := (b[0] - a[0]) / 2
	return [4][2]float64{a, {a[0] + dx, a[1]}, {b[0] - dx, b[1]}, b}
}

// lane is a small offset of e's own, so that edges through one slot do not
// coincide.
func lane(e ledge) float64 {
	h := fnv.New32a()
	h.Write([]byte(e.id))
	return float64(int(h.Sum32()%5)-2) * 2.5
}

// busPaths returns, for each bus, its lines as straight segments: one under
// each band its writers are in, a trunk at the left joining them, and the
// rise into the channel's node. The trunk is at the left so that an edge
// wrapping from the end of a band to the start of the next can pass round
// the right end of the band's bus line instead of across it.
func (g *Graph) busPaths() map[int][][2][2]float64 {
	out := map[int][][2][2]float64{}
	for n, trunk := range g.bus {
		ch := g.nodes[n]
		right := map[int]float64{ch.band: ch.x}
		for _, e := range g.edges {
			if e.to == n {
				u := g.nodes[e.from]
				if r, ok := right[u.band]; !ok || u.x > r {
					right[u.band] = u.x
				}
			}
		}
		var segs [][2][2]float64
		first, last := ch.band, ch.band
		for b, r := range right {
			segs = append(segs, [2][2]float64{{trunk, g.busY(b)}, {r, g.busY(b)}})
			first, last = min(first, b), max(last, b)
		}
		if first < last {
			segs = append(segs, [2][2]float64{{trunk, g.busY(first)}, {trunk, g.busY(last)}})
		}
		segs = append(segs, [2][2]float64{{ch.x, g.busY(ch.band)}, {ch.x, ch.y + ch.h/2 + 2}})
		slices.SortFunc(segs, func(a, b [2][2]float64) int { // a stable drawing
			return cmpPoints(a[0], b[0])
		})
		out[n] = segs
	}
	return out
}

func cmpPoints(a, b [2]float64) int {
	switch {
	case a[1] != b[1]:
		if a[1] < b[1] {
			return -1
		}
		return 1
	case a[0] < b[0]:
		return -1
	case a[0] > b[0]:
		return 1
	}
	return 0
}

// drawSVG draws g as laid out, width by height points.
//
// The view box covers everything drawn, not only the nodes the layout
// placed: curves that loop under a band and labels reach beyond them.
func (g *Graph) drawSVG(width, height float64) []byte {
	minX, minY, maxX, maxY := 0.0, 0.0, width, height
	grow := func(x0, y0, x1, y1 float64) {
		minX, minY, maxX, maxY = min(minX, x0-margin), min(minY, y0-margin), max(maxX, x1+margin), max(maxY, y1+margin)
	}
	for _, nd := range g.nodes {
		grow(nd.x-nd.w/2, nd.y-nd.h/2, nd.x+nd.w/2, nd.y+nd.h/2)
	}
	for _, nb := range g.nodeBoxes {
		grow(nb.x0, nb.y0, nb.x1, nb.y1)
	}
	buses := g.busPaths()
	for _, segs := range buses {
		for _, sg := range segs {
			grow(sg[0][0], sg[0][1], sg[1][0], sg[1][1])
		}
	}
	routes := make([]routed, len(g.edges)) // each edge routed once
	for k, e := range g.edges {
		pre, p, at, post := g.route(e)
		routes[k] = routed{pre, p, at, post}
	}
	g.placeLabels(routes)
	for k, e := range g.edges {
		pre, p, at, post := routes[k].pre, routes[k].p, routes[k].labelAt, routes[k].post
		for _, part := range append(append(pre, p), post...) {
			for _, q := range part { // a cubic curve lies within its control points
				grow(q[0], q[1], q[0], q[1])
			}
		}
		if len(e.label) > 0 {
			x, y := g.labelPos(e, p, at)
			w, h := linesSize(e.label)
			grow(x-w/2, y-h-2, x+w/2, y+2)
		}
	}
	width, height = maxX-minX, maxY-minY
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8" standalone="no"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" width="%.0fpt" height="%.0fpt" viewBox="%.2f %.2f %.2f %.2f">`+"\n",
		width, height, minX, minY, width, height)
	b.WriteString(`<g id="graph0" class="graph" font-family="Helvetica,sans-Serif">` + "\n")
	for k, nb := range g.nodeBoxes {
		// As Graphviz draws a cluster, with the ids Build gave them; a
		// node's box in a later band has an id of its own.
		id := fmt.Sprintf("nodebox-%d", nb.cluster)
		if k > 0 && g.nodeBoxes[k-1].cluster == nb.cluster {
			id += fmt.Sprintf("-%d", nb.band)
		}
		x0, y0, x1, y1, r := nb.x0, nb.y0, nb.x1, nb.y1, 8.0
		fmt.Fprintf(&b, `<g id="%s" class="cluster nodebox"><title>cluster_node_%d</title>`, id, nb.cluster)
		fmt.Fprintf(&b, `<path fill="none" stroke="#777777" stroke-dasharray="5,2" d="M%.2f,%.2f L%.2f,%.2f Q%.2f,%.2f %.2f,%.2f L%.2f,%.2f Q%.2f,%.2f %.2f,%.2f L%.2f,%.2f Q%.2f,%.2f %.2f,%.2f L%.2f,%.2f Q%.2f,%.2f %.2f,%.2f Z"/>`,
			x0+r, y0, x1-r, y0, x1, y0, x1, y0+r, x1, y1-r, x1, y1, x1-r, y1, x0+r, y1, x0, y1, x0, y1-r, x0, y0+r, x0, y0, x0+r, y0)
		fmt.Fprintf(&b, `<text text-anchor="start" x="%.2f" y="%.2f" font-size="13" fill="#555555">%s</text></g>`+"\n",
			x0+8, y0+clusterTitle-5, xmlText(g.nodeTitle(nb.cluster)))
	}
	for n, segs := range buses {
		// The bus belongs to its channel: the same id with "-bus", drawn
		// like a channel's edges, its arrow into the channel's node.
		fmt.Fprintf(&b, `<g id="%s-bus" class="edge chan chan-end bus"><path fill="none" stroke="#555555" stroke-width="1.5" d="`, xmlText(g.nodes[n].id))
		for _, sg := range segs {
			a, z := sg[0], sg[1]
			fmt.Fprintf(&b, "M%.2f,%.2f C%.2f,%.2f %.2f,%.2f %.2f,%.2f ", a[0], a[1], a[0], a[1], z[0], z[1], z[0], z[1])
		}
		b.WriteString(`"/>`)
		ch := g.nodes[n]
		tip := [2]float64{ch.x, ch.y + ch.h/2}
		fmt.Fprintf(&b, `<polygon fill="#555555" stroke="#555555" points="%.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f"/>`,
			tip[0], tip[1], tip[0]-3.5, tip[1]+8, tip[0]+3.5, tip[1]+8, tip[0], tip[1])
		b.WriteString("</g>\n")
	}
	for k, e := range g.edges {
		g.drawEdge(&b, e, routes[k])
	}
	for _, nd := range g.nodes {
		fmt.Fprintf(&b, `<g id="%s" class="%s"><title>%s</title>`, xmlText(nd.id), xmlText(nd.class), xmlText(nd.tip))
		if nd.ellipse {
			fmt.Fprintf(&b, `<ellipse fill="#ffffff" stroke="#555555" cx="%.2f" cy="%.2f" rx="%.2f" ry="%.2f"/>`, nd.x, nd.y, nd.w/2, nd.h/2)
		} else {
			x0, y0, x1, y1, r := nd.x-nd.w/2, nd.y-nd.h/2, nd.x+nd.w/2, nd.y+nd.h/2, 6.0
			fmt.Fprintf(&b, `<path fill="#f5f5f5" stroke="#444444" d="M%.2f,%.2f L%.2f,%.2f Q%.2f,%.2f %.2f,%.2f L%.2f,%.2f Q%.2f,%.2f %.2f,%.2f L%.2f,%.2f Q%.2f,%.2f %.2f,%.2f L%.2f,%.2f Q%.2f,%.2f %.2f,%.2f Z"/>`,
				x0+r, y0, x1-r, y0, x1, y0, x1, y0+r, x1, y1-r, x1, y1, x1-r, y1, x0+r, y1, x0, y1, x0, y1-r, x0, y0+r, x0, y0, x0+r, y0)
		}
		drawLines(&b, nd.lines, nd.x, nd.y)
		b.WriteString("</g>\n")
	}
	b.WriteString("</g>\n</svg>\n")
	return []byte(b.String())
}

// drawLines writes ls centred on (x, y), one text element per line.
func drawLines(b *strings.Builder, ls []lline, x, y float64) {
	_, h := linesSize(ls)
	top := y - h/2
	for _, l := range ls {
		top += l.size + 3
		fmt.Fprintf(b, `<text text-anchor="middle" x="%.2f" y="%.2f" font-size="%.0f" fill="%s">%s</text>`,
			x, top-3, l.size, l.color, xmlText(l.text))
	}
}

// busMin is how many writers make a shared channel a bus: a line under each
// band that every writer drops onto, not a fan of curves across the drawing
// (the sieve's primes, written by every filter).
// It is one more than Graphviz takes (graphvizMaxDegree), so that a channel
// drawn as a bus is always laid out here.
const busMin = graphvizMaxDegree + 1

// busChannels returns the shared channel nodes drawn as buses: those with
// busMin writers or more along a chain.
func (g *Graph) busChannels() map[int]bool {
	writers := map[int]int{}
	ranks := map[int]map[int]bool{}
	for _, e := range g.edges {
		if g.nodes[e.to].ellipse {
			writers[e.to]++
			if ranks[e.to] == nil {
				ranks[e.to] = map[int]bool{}
			}
			ranks[e.to][g.nodes[e.from].rank] = true
		}
	}
	out := map[int]bool{}
	for n, c := range writers {
		// Writers along a chain (the sieve's filters), not a farm's
		// workers side by side in one rank: those reach the channel along
		// the gaps between their rows (see route).
		if c >= busMin && len(ranks[n]) > c/2 {
			out[n] = true
		}
	}
	return out
}

// buses returns the x of each bus's trunk, left of the whole drawing, in a
// stable order.
func (g *Graph) buses() map[int]float64 {
	ns := make([]int, 0, len(g.busSet))
	for n := range g.busSet {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	out := map[int]float64{}
	for k, n := range ns {
		out[n] = -10 - 8*float64(k)
	}
	return out
}

// busY is the height of the bus line under band b.
func (g *Graph) busY(b int) float64 {
	return float64(b)*(g.bandH+g.bandGap) + g.bandH + busDrop
}

// wrapY is the height of the line under band b, below its bus line, along
// which edges wrap to the next band.
func (g *Graph) wrapY(b int) float64 {
	return float64(b+1)*(g.bandH+g.bandGap) - 16
}

// route returns the curve of e, where on its main part p its label sits,
// and the parts before and after p, when it has them.
func (g *Graph) route(e ledge) (pre [][4][2]float64, p [4][2]float64, labelAt float64, post [][4][2]float64) {
	if g.backward(e) {
		// Drawn as the edge the other way would be, a little below it so
		// that the two do not coincide, and then reversed.
		f := e
		f.from, f.to, f.back = e.to, e.from, true
		fpre, fp, at, fpost := g.route(f)
		for k := len(fpost) - 1; k >= 0; k-- {
			pre = append(pre, reversed(fpost[k]))
		}
		for k := len(fpre) - 1; k >= 0; k-- {
			post = append(post, reversed(fpre[k]))
		}
		return pre, reversed(fp), 1 - at, post
	}
	u, v := g.nodes[e.from], g.nodes[e.to]
	labelAt = 0.5
	// A backward edge drawn forwards keeps clear of the forward ones: its
	// ends lower, its runs along the gaps between rows nearer the rows.
	off, runOff, tip := 0.0, 0.0, 2.0
	if e.back {
		off, runOff, tip = 6, 4, 0
	}
	fu, outOf := g.folds[[2]int{u.rank, u.band}]
	fv, into := g.folds[[2]int{v.rank, v.band}]
	// A labelled edge turns into its box, or out of it, beside its label
	// (see labelPos), from any column.
	into = into && v.ncol > 1 && (v.col > fv.c0 || e.place == placeIn)
	outOf = outOf && u.ncol > 1 && (u.col < fu.c1 || e.place == placeOut)
	// Beside a box of a rank of one column, straight into or out of it.
	inZone := v.ncol < 2 && e.place == placeIn && g.foldIn != nil
	outZone := u.ncol < 2 && e.place == placeOut && g.foldOut != nil
	switch {
	case e.path == nil && !g.onBus(e) && v.band == u.band && v.x > u.x+u.w/2 && (outOf || into || inZone || outZone):
		// Out of, or into, a column of a folded rank that has columns
		// before it (after it): along the gap between its rows, past the
		// other columns' boxes, and the main curve, which carries the
		// label, in the gap between the ranks.
		start := [2]float64{u.x + u.w/2 + 2 - tip, u.y + off}
		if outOf {
			gy := u.y + u.h/2 + g.rowSep[u.rank]/2 - runOff
			right := fu.r + 6
			if g.foldOut[u.rank] > 0 {
				right += g.foldOut[u.rank] + foldLabelGap
			}
			a, b := [2]float64{start[0] + 8, gy}, [2]float64{right, gy}
			pre = append(pre, [4][2]float64{start, {start[0] + 5, start[1]}, {a[0] - 3, a[1]}, a}, straight(a, b))
			start = b
		} else if outZone {
			b := [2]float64{start[0] + g.foldOut[u.rank] + foldLabelGap + 6, start[1]}
			pre = append(pre, straight(start, b))
			start = b
		}
		end := [2]float64{v.x - v.w/2 - tip, v.y + off}
		if into {
			gy := v.y - v.h/2 - g.rowSep[v.rank]/2 + runOff
			left := fv.l - 6
			if g.foldIn[v.rank] > 0 {
				left -= g.foldIn[v.rank] + foldLabelGap
			}
			c, d := [2]float64{left, gy}, [2]float64{v.x - v.w/2 - 10, gy}
			post = append(post, straight(c, d), [4][2]float64{d, {d[0] + 5, d[1]}, {end[0] - 5, end[1]}, end})
			end = c
		} else if inZone {
			c := [2]float64{end[0] - g.foldIn[v.rank] - foldLabelGap - 6, end[1]}
			post = append(post, straight(c, end))
			end = c
		}
		p = sCurve(start, end)
		if th := g.threaded(start, end, u.band, lane(e)); th != nil {
			p, post = th[0], append(th[1:], post...)
		}
	case g.onBus(e):
		// Onto the bus: straight down to the line under its band.
		x0, y0, y3 := u.x, u.y+u.h/2, g.busY(u.band)
		p = [4][2]float64{{x0, y0}, {x0, y0 + (y3-y0)/3}, {x0, y3 - (y3-y0)/3}, {x0, y3}}
	case e.path != nil:
		p, labelAt = *e.path, e.labelAt
	case v.band == u.band+1 && len(g.bus) > 0 && v.x < u.x:
		// On to the next band in a drawing with a bus: round the right
		// end of the band's bus line, along under it, and down into v,
		// with the label over that run, between it and the bus line.
		x1, y1 := u.x+u.w/2+12, g.wrapY(u.band)
		a := [2]float64{u.x + u.w/2, u.y}
		pre = append(pre, [4][2]float64{a, {x1, a[1]}, {x1, a[1]}, {x1, a[1] + 12}}, straight([2]float64{x1, a[1] + 12}, [2]float64{x1, y1 - 12}),
			[4][2]float64{{x1, y1 - 12}, {x1, y1}, {x1, y1}, {x1 - 12, y1}})
		p = straight([2]float64{x1 - 12, y1}, [2]float64{v.x + 12, y1})
		post = append(post, [4][2]float64{{v.x + 12, y1}, {v.x, y1}, {v.x, y1}, {v.x, v.y - v.h/2 - 2}})
	case v.band > u.band:
		// On to a later band, as a line of text wraps: down from u's
		// bottom into the gap between the bands, across it, and down into
		// v's top, clear of the boxes of both bands.
		x0, y0, x3, y3 := u.x, u.y+u.h/2+off, v.x, v.y-v.h/2-2+off
		mid := (y0 + y3) / 2
		p = [4][2]float64{{x0, y0}, {x0, mid + (y3-y0)/2}, {x3, mid - (y3-y0)/2}, {x3, y3}}
		if g.hitsAnyBox(p, e.from, e.to) {
			pre, p, labelAt, post = g.acrossBands(u, v, off, tip, lane(e))
		}
	case v.x > u.x+u.w/2:
		// Forwards: right side to left side.
		a, z := [2]float64{u.x + u.w/2 + 2 - tip, u.y + off}, [2]float64{v.x - v.w/2 - tip, v.y + off}
		p = sCurve(a, z)
		if th := g.threaded(a, z, u.band, lane(e)); th != nil {
			p, post = th[0], th[1:]
		}
	default:
		// Backwards or within a column: loop under both nodes.
		x0, y0, x3, y3 := u.x, u.y+u.h/2, v.x, v.y+v.h/2+2
		dip := 30 + math.Abs(x0-x3)/8
		low := max(y0, y3) + dip
		p = [4][2]float64{{x0, y0}, {x0, low}, {x3, low}, {x3, y3}}
	}
	return pre, p, labelAt, post
}

// labelPos returns where e's label sits, p and labelAt being its main curve
// and where on it: the middle of its bottom edge. The label of an edge into a
// folded rank sits left of its box, above the edge turning into it; of one
// out of a folded rank, right of its box, below the edge turning out of it.
// Between the ranks there is no room for the labels of a hundred edges.
func (g *Graph) labelPos(e ledge, p [4][2]float64, labelAt float64) (x, y float64) {
	u, v := g.nodes[e.from], g.nodes[e.to]
	w, h := linesSize(e.label)
	if g.backward(e) {
		// Below the edge, where the forward one's label is above its own.
		switch e.place {
		case placeIn:
			return u.x - u.w/2 - foldLabelGap - w/2, u.y + h + 9
		case placeOut:
			return v.x + v.w/2 + foldLabelGap + w/2, v.y - 1
		}
		x, y := bezier(p, labelAt)
		return x, y + h + 6
	}
	if e.path == nil && u.band == v.band && u.rank < v.rank {
		switch e.place {
		case placeIn:
			return v.x - v.w/2 - foldLabelGap - w/2, v.y - 1
		case placeOut:
			return u.x + u.w/2 + foldLabelGap + w/2, u.y + h + 3
		}
	}
	return bezier(p, labelAt)
}

// backward says whether e runs from a later rank to an earlier one of the
// same band, so that it is drawn in the gaps between them as the forward
// edges are (a farm's results going back to its dispatcher), not looped
// under the drawing.
func (g *Graph) backward(e ledge) bool {
	u, v := g.nodes[e.from], g.nodes[e.to]
	if e.path != nil || e.back || g.onBus(e) || u.rank <= v.rank {
		return false
	}
	return u.band == v.band && u.x-u.w/2 > v.x+v.w/2 || u.band > v.band && len(g.bus) == 0
}

// hitsAnyBox says whether the curve c passes through a box other than
// those of the nodes it joins.
func (g *Graph) hitsAnyBox(c [4][2]float64, from, to int) bool {
	// Samples close enough that no box falls between two, each looked up
	// in the grid of boxes.
	n := max(16, int(math.Ceil((math.Hypot(c[1][0]-c[0][0], c[1][1]-c[0][1])+
		math.Hypot(c[2][0]-c[1][0], c[2][1]-c[1][1])+math.Hypot(c[3][0]-c[2][0], c[3][1]-c[2][1]))/8)))
	for k := 0; k <= n; k++ {
		x, y := bezier(c, float64(k)/float64(n))
		for _, i := range g.grid[gridCell(x, y)] {
			nd := g.nodes[i]
			if i != from && i != to && math.Abs(x-nd.x) < nd.w/2+2 && math.Abs(y-nd.y) < nd.h/2+2 {
				return true
			}
		}
	}
	return false
}

// gridSize is the side of a cell of the grid that finds the boxes near a
// point.
const gridSize = 128.0

func gridCell(x, y float64) [2]int {
	return [2]int{int(math.Floor(x / gridSize)), int(math.Floor(y / gridSize))}
}

// acrossBands routes an edge from u on to v in a later band through the
// gaps only: out of u's right side into the gap after its column, down it
// to the gap under u's band, along that (round by the left edge of the
// drawing when v's band is not the next), down the gap before v's column
// and into v's left side. The run under u's band carries the label.
func (g *Graph) acrossBands(u, v lnode, off, tip, lane float64) (pre [][4][2]float64, p [4][2]float64, labelAt float64, post [][4][2]float64) {
	gapAfter, gapBefore := u.x+u.w/2+rankSep/2, v.x-v.w/2-rankSep/2
	for _, c := range g.columns[u.band] {
		if c.x0 > u.x {
			gapAfter = min(gapAfter, (u.x+u.w/2+c.x0)/2)
		}
	}
	for _, c := range g.columns[v.band] {
		if c.x1 < v.x {
			gapBefore = max(gapBefore, (c.x1+v.x-v.w/2)/2)
		}
	}
	gapAfter += lane
	gapBefore += lane
	under := func(b int) float64 { return float64(b)*(g.bandH+g.bandGap) + g.bandH + g.bandGap - 6 + lane }
	a := [2]float64{u.x + u.w/2 + 2 - tip, u.y + off}
	y1 := under(u.band)
	pre = append(pre, sCurve(a, [2]float64{gapAfter, a[1] + 8}), straight([2]float64{gapAfter, a[1] + 8}, [2]float64{gapAfter, y1}))
	left := gapBefore
	if v.band > u.band+1 {
		left = -30 + lane
	}
	p = straight([2]float64{gapAfter, y1}, [2]float64{left, y1})
	if v.band > u.band+1 {
		y2 := under(v.band - 1)
		post = append(post, straight([2]float64{left, y1}, [2]float64{left, y2}), straight([2]float64{left, y2}, [2]float64{gapBefore, y2}))
		y1 = y2
	}
	z := [2]float64{v.x - v.w/2 - tip, v.y + off}
	post = append(post, straight([2]float64{gapBefore, y1}, [2]float64{gapBefore, z[1] - 8}), sCurve([2]float64{gapBefore, z[1] - 8}, z))
	return pre, p, 0.5, post
}

// reversed is the cubic curve c run from its end to its start.
func reversed(c [4][2]float64) [4][2]float64 { return [4][2]float64{c[3], c[2], c[1], c[0]} }

// onBus says whether e drops onto a bus.
func (g *Graph) onBus(e ledge) bool {
	_, ok := g.bus[e.to]
	return ok
}

// straight is the line from a to b as a cubic curve.
func straight(a, b [2]float64) [4][2]float64 {
	return [4][2]float64{a, {a[0] + (b[0]-a[0])/3, a[1] + (b[1]-a[1])/3}, {b[0] - (b[0]-a[0])/3, b[1] - (b[1]-a[1])/3}, b}
}

// placeLabels moves each label that sits on its curve along it, where the
// middle is taken by a box or an earlier label, to the first free place of
// a few either side (a crowd of edges between two ranks of a large network).
func (g *Graph) placeLabels(routes []routed) {
	if g.grid == nil {
		return // not the layered layout: the ring places its own
	}
	placed := map[[2]int][]rect{}
	free := func(b rect) bool {
		lo, hi := gridCell(b.x0, b.y0), gridCell(b.x1, b.y1)
		for cx := lo[0]; cx <= hi[0]; cx++ {
			for cy := lo[1]; cy <= hi[1]; cy++ {
				for _, i := range g.grid[[2]int{cx, cy}] {
					nd := g.nodes[i]
					if b.x0 < nd.x+nd.w/2 && nd.x-nd.w/2 < b.x1 && b.y0 < nd.y+nd.h/2 && nd.y-nd.h/2 < b.y1 {
						return false
					}
				}
				for _, o := range placed[[2]int{cx, cy}] {
					if b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1 {
						return false
					}
				}
			}
		}
		return true
	}
	for k, e := range g.edges {
		if len(e.label) == 0 || e.path != nil {
			continue
		}
		w, h := linesSize(e.label)
		at := func(t float64) rect {
			x, y := g.labelPos(e, routes[k].p, t)
			return rect{x - w/2, y - h - 2, x + w/2, y - 2}
		}
		best := at(routes[k].labelAt)
		for _, t := range []float64{routes[k].labelAt, 0.35, 0.65, 0.2, 0.8} {
			if b := at(t); free(b) {
				best, routes[k].labelAt = b, t
				break
			}
		}
		lo, hi := gridCell(best.x0, best.y0), gridCell(best.x1, best.y1)
		for cx := lo[0]; cx <= hi[0]; cx++ {
			for cy := lo[1]; cy <= hi[1]; cy++ {
				placed[[2]int{cx, cy}] = append(placed[[2]int{cx, cy}], best)
			}
		}
	}
}

// rect is a rectangle: left, top, right, bottom.
type rect struct{ x0, y0, x1, y1 float64 }

// routed is an edge's curve as route returns it.
type routed struct {
	pre     [][4][2]float64
	p       [4][2]float64
	labelAt float64
	post    [][4][2]float64
}

func (g *Graph) drawEdge(b *strings.Builder, e ledge, r routed) {
	pre, p, labelAt, post := r.pre, r.p, r.labelAt, r.post
	fmt.Fprintf(b, `<g id="%s" class="%s"><title>%s</title>`, xmlText(e.id), xmlText(e.class), xmlText(e.tip))
	parts := append(append(pre, p), post...)
	fmt.Fprintf(b, `<path fill="none" stroke="#555555" d="M%.2f,%.2f`, parts[0][0][0], parts[0][0][1])
	for _, q := range parts {
		fmt.Fprintf(b, ` C%.2f,%.2f %.2f,%.2f %.2f,%.2f`, q[1][0], q[1][1], q[2][0], q[2][1], q[3][0], q[3][1])
	}
	b.WriteString(`"/>`)
	// The arrowhead points along the curve's last tangent.
	last := parts[len(parts)-1]
	dx, dy := last[3][0]-last[2][0], last[3][1]-last[2][1]
	if l := math.Hypot(dx, dy); l > 0 {
		dx, dy = dx/l, dy/l
	} else {
		dx, dy = 1, 0
	}
	tip := [2]float64{last[3][0] + 2*dx, last[3][1] + 2*dy}
	back := [2]float64{tip[0] - 8*dx, tip[1] - 8*dy}
	fmt.Fprintf(b, `<polygon fill="#555555" stroke="#555555" points="%.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f"/>`,
		tip[0], tip[1], back[0]-3.5*dy, back[1]+3.5*dx, back[0]+3.5*dy, back[1]-3.5*dx, tip[0], tip[1])
	if len(e.label) > 0 {
		mx, my := g.labelPos(e, p, labelAt)
		_, h := linesSize(e.label)
		drawLines(b, e.label, mx, my-h/2-2)
	}
	b.WriteString("</g>\n")
}

// xmlText escapes s for SVG text and attribute values, dropping control
// characters XML cannot carry.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&#39;")
		case r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff || (r >= 0xd800 && r <= 0xdfff):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
