package render

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
)

// The layout's quality, measured on the SVG the page shows: edges that pass
// through a box that is not theirs, labels that overlap a label or a box,
// and edges that cross, against Graphviz's dot on the same topology where dot
// finishes in reasonable time.

// topo builds topologies for the quality table.
type topo struct {
	t *format.Topology
}

func newTopo(name string) *topo {
	return &topo{t: &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: name}}
}

func (b *topo) proc(id string) {
	b.t.Processes = append(b.t.Processes, format.Process{ID: id, Name: id})
}

// ch adds a channel written by ws and read by rs.
func (b *topo) ch(id string, ws, rs []string) {
	b.t.Channels = append(b.t.Channels, format.Channel{ID: id, Name: id})
	for _, w := range ws {
		b.t.Ends = append(b.t.Ends, format.End{Process: w, Channel: id, Dir: format.DirWrite})
	}
	for _, r := range rs {
		b.t.Ends = append(b.t.Ends, format.End{Process: r, Channel: id, Dir: format.DirRead})
	}
}

func pipelineTopo(n int) *format.Topology {
	b := newTopo(fmt.Sprintf("pipeline-%d", n))
	for i := range n {
		b.proc(fmt.Sprint("stage-", i))
	}
	for i := range n - 1 {
		b.ch(fmt.Sprint("c", i), []string{fmt.Sprint("stage-", i)}, []string{fmt.Sprint("stage-", i+1)})
	}
	return b.t
}

// farmTopo is a producer dealing jobs to k workers over their own channels and
// a collector gathering their results.
func farmTopo(k int) *format.Topology {
	b := newTopo(fmt.Sprintf("farm-%d", k))
	b.proc("producer")
	b.proc("collector")
	for i := range k {
		w := fmt.Sprint("worker-", i)
		b.proc(w)
		b.ch(fmt.Sprint("job-", i), []string{"producer"}, []string{w})
		b.ch(fmt.Sprint("result-", i), []string{w}, []string{"collector"})
	}
	return b.t
}

// loopFarmTopo is a dispatcher dealing jobs to k workers over their own
// channels and taking their results back: every result edge closes a cycle.
func loopFarmTopo(k int) *format.Topology {
	b := newTopo(fmt.Sprintf("loop-farm-%d", k))
	b.proc("dispatcher")
	for i := range k {
		w := fmt.Sprint("worker-", i)
		b.proc(w)
		b.ch(fmt.Sprint("job-", i), []string{"dispatcher"}, []string{w})
		b.ch(fmt.Sprint("result-", i), []string{w}, []string{"dispatcher"})
	}
	return b.t
}

// sharedFarmTopo is the mcpi farm: one jobs channel that k workers read, one
// counts channel that they all write.
func sharedFarmTopo(k int) *format.Topology {
	b := newTopo(fmt.Sprintf("shared-farm-%d", k))
	b.proc("producer")
	b.proc("collector")
	var ws []string
	for i := range k {
		ws = append(ws, fmt.Sprint("worker-", i))
		b.proc(ws[i])
	}
	b.ch("jobs", []string{"producer"}, ws)
	b.ch("counts", ws, []string{"collector"})
	return b.t
}

func ringTopo(n int) *format.Topology {
	b := newTopo(fmt.Sprintf("ring-%d", n))
	for i := range n {
		b.proc(fmt.Sprint("node-", i))
	}
	for i := range n {
		b.ch(fmt.Sprint("c", i), []string{fmt.Sprint("node-", i)}, []string{fmt.Sprint("node-", (i+1)%n)})
	}
	return b.t
}

// treeTopo is a binary tree of the given depth, each node writing to its children.
func treeTopo(depth int) *format.Topology {
	b := newTopo(fmt.Sprintf("tree-%d", depth))
	n := 1<<depth - 1
	for i := range n {
		b.proc(fmt.Sprint("t", i))
	}
	for i := 1; i < n; i++ {
		b.ch(fmt.Sprint("c", i), []string{fmt.Sprint("t", (i-1)/2)}, []string{fmt.Sprint("t", i)})
	}
	return b.t
}

// sieveTopo is the prime sieve as its snapshots show it after n filters: a
// chain of filters, every one writing the shared primes channel.
func sieveTopo(n int) *format.Topology {
	b := newTopo(fmt.Sprintf("sieve-%d", n))
	b.proc("generator")
	b.proc("printer")
	var writers []string
	prev := "generator"
	for i := 1; i <= n; i++ {
		f := fmt.Sprint("filter-", i)
		b.proc(f)
		b.ch(fmt.Sprint("numbers-", i), []string{prev}, []string{f})
		writers = append(writers, f)
		prev = f
	}
	b.ch("primes", writers, []string{"printer"})
	return b.t
}

// remoteFarmTopo is the remote farm demo's topology: a dispatcher and three
// workers, each on its own node.
func remoteFarmTopo() *format.Topology {
	b := newTopo("remotefarm")
	b.t.Processes = append(b.t.Processes, format.Process{ID: "dispatcher", Name: "dispatcher", Attrs: map[string]string{NodeAttr: "10.0.0.1:7000"}})
	for i := range 3 {
		addr := fmt.Sprintf("10.0.0.%d:7000", i+2)
		w := fmt.Sprint("worker-", i)
		b.t.Processes = append(b.t.Processes, format.Process{ID: w, Name: w, Attrs: map[string]string{NodeAttr: addr}})
		b.t.Channels = append(b.t.Channels,
			format.Channel{ID: "rj" + w, Name: addr + "/jobs", Remote: addr},
			format.Channel{ID: "rr" + w, Name: addr + "/results", Remote: addr})
		b.t.Ends = append(b.t.Ends, format.End{Process: "dispatcher", Channel: "rj" + w, Dir: format.DirWrite},
			format.End{Process: "dispatcher", Channel: "rr" + w, Dir: format.DirRead})
		b.ch("j"+w, nil, []string{w})
		b.t.Channels[len(b.t.Channels)-1].Name = "jobs"
		b.ch("r"+w, []string{w}, nil)
		b.t.Channels[len(b.t.Channels)-1].Name = "results"
	}
	return b.t
}

// distFarmTopo is a farm spread over nodes: a producer and a collector on
// the head node, and on each of k other nodes m workers sharing its jobs
// and results channels, which the head reaches as remote channels. Its
// shared channels have more ends than Graphviz is given (see Small), so the
// layered layout draws it, node boxes and all.
func distFarmTopo(k, m int) *format.Topology {
	b := newTopo(fmt.Sprintf("dist-farm-%dx%d", k, m))
	on := func(id, node string) {
		b.t.Processes = append(b.t.Processes, format.Process{ID: id, Name: id, Attrs: map[string]string{NodeAttr: node}})
	}
	on("producer", "head:7000")
	on("collector", "head:7000")
	for n := range k {
		addr := fmt.Sprintf("w%d:7000", n)
		var ws []string
		for i := range m {
			ws = append(ws, fmt.Sprintf("worker-%d.%d", n, i))
			on(ws[i], addr)
		}
		b.ch("jobs@"+addr, nil, ws)
		b.ch("results@"+addr, ws, nil)
		b.t.Channels[len(b.t.Channels)-2].Name = "jobs @" + addr
		b.t.Channels[len(b.t.Channels)-1].Name = "results @" + addr
		b.t.Channels = append(b.t.Channels,
			format.Channel{ID: "rj" + addr, Name: addr + "/jobs", Remote: addr},
			format.Channel{ID: "rr" + addr, Name: addr + "/results", Remote: addr})
		b.t.Ends = append(b.t.Ends, format.End{Process: "producer", Channel: "rj" + addr, Dir: format.DirWrite},
			format.End{Process: "collector", Channel: "rr" + addr, Dir: format.DirRead})
	}
	return b.t
}

// box is an axis-aligned rectangle.
type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

func (a box) grow(d float64) box { return box{a.x0 - d, a.y0 - d, a.x1 + d, a.y1 + d} }

func (a box) contains(x, y float64) bool { return x >= a.x0 && x <= a.x1 && y >= a.y0 && y <= a.y1 }

// drawing is what the quality measures read off an SVG.
type drawing struct {
	nodes     []box            // process boxes and channel ellipses
	procs     []named          // process boxes, by the name they show
	edges     [][][][2]float64 // each edge's curves, a polyline per subpath
	labels    []label          // edge labels, by the edge they belong to
	nodeBoxes []named          // a distributed network's node boxes, by their label
}

type named struct {
	box
	name string
}

type label struct {
	box
	edge int // index in edges
}

var numRE = regexp.MustCompile(`-?\d+(?:\.\d+)?(?:e-?\d+)?`)

func nums(s string) []float64 {
	var out []float64
	for _, m := range numRE.FindAllString(s, -1) {
		v, _ := strconv.ParseFloat(m, 64)
		out = append(out, v)
	}
	return out
}

func bboxOf(pts []float64) box {
	b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for i := 0; i+1 < len(pts); i += 2 {
		b.x0, b.y0 = min(b.x0, pts[i]), min(b.y0, pts[i+1])
		b.x1, b.y1 = max(b.x1, pts[i]), max(b.y1, pts[i+1])
	}
	return b
}

var pathRE = regexp.MustCompile(`[A-Za-z]|-?\d+(?:\.\d+)?(?:e-?\d+)?`)

// curve samples an SVG path of M, L and C commands (Graphviz's and ours), one
// polyline per subpath: a bus is one path of several lines.
func curve(d string) [][][2]float64 {
	var parts [][][2]float64
	var cur [][2]float64
	var vals []float64
	cmd := ""
	flush := func() {
		if len(cur) > 1 {
			parts = append(parts, cur)
		}
		cur = nil
	}
	for _, tok := range pathRE.FindAllString(d, -1) {
		if c := tok[0]; (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') && c != 'e' {
			cmd, vals = strings.ToUpper(tok), nil
			if cmd == "Z" && len(cur) > 0 {
				cur = append(cur, cur[0])
			}
			continue
		}
		v, _ := strconv.ParseFloat(tok, 64)
		vals = append(vals, v)
		switch {
		case cmd == "M" && len(vals) == 2:
			flush()
			cur = [][2]float64{{vals[0], vals[1]}}
			cmd, vals = "L", nil // further pairs are lines
		case cmd == "L" && len(vals) == 2 && len(cur) > 0:
			cur = append(cur, [2]float64{vals[0], vals[1]})
			vals = nil
		case cmd == "C" && len(vals) == 6 && len(cur) > 0:
			p0 := cur[len(cur)-1]
			p1, p2, p3 := [2]float64{vals[0], vals[1]}, [2]float64{vals[2], vals[3]}, [2]float64{vals[4], vals[5]}
			for k := 1; k <= 12; k++ {
				t := float64(k) / 12
				a, b, c, e := (1-t)*(1-t)*(1-t), 3*(1-t)*(1-t)*t, 3*(1-t)*t*t, t*t*t
				cur = append(cur, [2]float64{a*p0[0] + b*p1[0] + c*p2[0] + e*p3[0], a*p0[1] + b*p1[1] + c*p2[1] + e*p3[1]})
			}
			vals = nil
		}
	}
	flush()
	return parts
}

// readDrawing parses the nodes (process boxes, channel ellipses), edge curves,
// edge labels and node boxes of an SVG from Graphviz or the built-in layout.
func readDrawing(t *testing.T, svg []byte) drawing {
	t.Helper()
	var d drawing
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	var group string // "node", "edge", "nodebox" or ""
	depth, groupDepth := 0, 0
	proc := false    // the node group is a process
	var owner *named // the process or node box whose name is its first text
	var text struct {
		on         bool
		x, y, size float64
		anchor     string
		s          string
	}
	attr := func(se xml.StartElement, name string) string {
		for _, a := range se.Attr {
			if a.Name.Local == name {
				return a.Value
			}
		}
		return ""
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch tk := tok.(type) {
		case xml.StartElement:
			depth++
			if tk.Name.Local == "g" && group == "" {
				cls := " " + attr(tk, "class") + " "
				switch {
				case strings.Contains(cls, " node "):
					group, groupDepth = "node", depth
					proc = strings.Contains(cls, " proc ")
				case strings.Contains(cls, " edge "):
					group, groupDepth = "edge", depth
					d.edges = append(d.edges, nil)
				case strings.Contains(cls, " nodebox "):
					group, groupDepth = "nodebox", depth
				}
				continue
			}
			shape := func() (box, bool) {
				switch tk.Name.Local {
				case "path", "polygon":
					return bboxOf(nums(attr(tk, "d") + " " + attr(tk, "points"))), true
				case "ellipse":
					v := nums(attr(tk, "cx") + " " + attr(tk, "cy") + " " + attr(tk, "rx") + " " + attr(tk, "ry"))
					return box{v[0] - v[2], v[1] - v[3], v[0] + v[2], v[1] + v[3]}, true
				}
				return box{}, false
			}
			switch {
			case group == "node" || group == "nodebox":
				if b, ok := shape(); ok && owner == nil {
					if group == "node" {
						d.nodes = append(d.nodes, b)
					}
					if group == "nodebox" {
						d.nodeBoxes = append(d.nodeBoxes, namedBox(b))
						owner = &d.nodeBoxes[len(d.nodeBoxes)-1]
					} else if proc {
						d.procs = append(d.procs, namedBox(b))
						owner = &d.procs[len(d.procs)-1]
					}
				}
				if tk.Name.Local == "text" {
					text.on, text.s = true, ""
				}
			case group == "edge" && tk.Name.Local == "path":
				k := len(d.edges) - 1
				d.edges[k] = append(d.edges[k], curve(attr(tk, "d"))...)
			case group == "edge" && tk.Name.Local == "text":
				text.on = true
				text.x, _ = strconv.ParseFloat(attr(tk, "x"), 64)
				text.y, _ = strconv.ParseFloat(attr(tk, "y"), 64)
				text.size, _ = strconv.ParseFloat(attr(tk, "font-size"), 64)
				if text.size == 0 {
					text.size = 12
				}
				text.anchor, text.s = attr(tk, "text-anchor"), ""
			}
		case xml.CharData:
			if text.on {
				text.s += string(tk)
			}
		case xml.EndElement:
			if tk.Name.Local == "text" && text.on {
				text.on = false
				s := strings.TrimSpace(text.s)
				if group != "edge" && owner != nil && owner.name == "" {
					owner.name = s
				}
				if w := float64(len([]rune(s))) * text.size * 0.55; group == "edge" && w > 0 {
					x0 := text.x - w/2
					if text.anchor == "start" {
						x0 = text.x
					}
					d.labels = append(d.labels, label{box{x0, text.y - text.size*0.8, x0 + w, text.y + text.size*0.2}, len(d.edges) - 1})
				}
			}
			if depth == groupDepth {
				group, groupDepth, owner = "", 0, nil
			}
			depth--
		}
	}
	return d
}

func namedBox(b box) named { return named{box: b} }

// quality is one layout's figures.
type quality struct {
	through, overlaps, crossings int
}

// chunk is a run of an edge's line segments with their bounds, so that the
// measures skip runs far apart.
type chunk struct {
	b    box
	segs [][2][2]float64
}

// segs lists an edge's line segments, in chunks of a few.
func segs(parts [][][2]float64) []chunk {
	const per = 12
	var out []chunk
	for _, p := range parts {
		for i := 0; i+1 < len(p); i += per {
			c := chunk{b: box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}}
			for j := i; j+1 < len(p) && j < i+per; j++ {
				c.segs = append(c.segs, [2][2]float64{p[j], p[j+1]})
				for _, q := range p[j : j+2] {
					c.b.x0, c.b.y0 = min(c.b.x0, q[0]), min(c.b.y0, q[1])
					c.b.x1, c.b.y1 = max(c.b.x1, q[0]), max(c.b.y1, q[1])
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// touches is overlaps counting shared edges: a straight line's bounds have
// no width.
func (a box) touches(b box) bool {
	return a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1
}

func measure(d drawing) quality { return measureOnly(d, false) }

// measureOnly measures d, only the edges through boxes when throughOnly.
func measureOnly(d drawing, throughOnly bool) quality {
	var q quality
	// An edge's own ends are the boxes where its lines begin or end.
	ends := func(e [][][2]float64) map[int]bool {
		m := map[int]bool{}
		for i, n := range d.nodes {
			g := n.grow(6)
			for _, p := range e {
				if g.contains(p[0][0], p[0][1]) || g.contains(p[len(p)-1][0], p[len(p)-1][1]) {
					m[i] = true
				}
			}
		}
		return m
	}
	// The bounds of each edge, to skip pairs far apart.
	bb := make([]box, len(d.edges))
	for k, e := range d.edges {
		var flat []float64
		for _, p := range e {
			for _, pt := range p {
				flat = append(flat, pt[0], pt[1])
			}
		}
		bb[k] = bboxOf(flat)
	}
	edgeSegs := make([][]chunk, len(d.edges))
	edgeEnds := make([]map[int]bool, len(d.edges))
	for k, e := range d.edges {
		edgeSegs[k] = segs(e)
		edgeEnds[k] = ends(e)
		for i, n := range d.nodes {
			if edgeEnds[k][i] {
				continue
			}
			if bb[k].overlaps(n) && hitsBox(edgeSegs[k], n.grow(-2)) {
				q.through++
				break
			}
		}
	}
	if throughOnly {
		return q
	}
	// Labels over other labels, over boxes, or under edges not their own.
	for i, a := range d.labels {
		hit := false
		for _, b := range d.labels[i+1:] {
			if a.overlaps(b.box) && (a.edge != b.edge || !sameLabel(a.box, b.box)) {
				hit = true
			}
		}
		for _, n := range d.nodes {
			if a.overlaps(n) {
				hit = true
			}
		}
		for k := range d.edges {
			if k != a.edge && bb[k].overlaps(a.box) && hitsBox(edgeSegs[k], a.grow(-1)) {
				hit = true
			}
		}
		if hit {
			q.overlaps++
		}
	}
	// Pairs of edges that cross away from the boxes they share.
	for i := range d.edges {
		for j := i + 1; j < len(d.edges); j++ {
			if len(edgeSegs[i]) == 0 || len(edgeSegs[j]) == 0 || !bb[i].overlaps(bb[j]) {
				continue
			}
			if crosses(edgeSegs[i], edgeSegs[j], d.nodes, edgeEnds[i], edgeEnds[j]) {
				q.crossings++
			}
		}
	}
	return q
}

// hitsBox says whether any of the segments enters b.
func hitsBox(cs []chunk, b box) bool {
	if b.x0 >= b.x1 || b.y0 >= b.y1 {
		return false
	}
	for _, c := range cs {
		if !c.b.touches(b) {
			continue
		}
		for _, s := range c.segs {
			if segInBox(s[0], s[1], b) {
				return true
			}
		}
	}
	return false
}

// segInBox clips the segment from p to q to b (Liang–Barsky) and says whether
// anything is left.
func segInBox(p, q [2]float64, b box) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := q[0]-p[0], q[1]-p[1]
	for _, c := range [4][2]float64{{-dx, p[0] - b.x0}, {dx, b.x1 - p[0]}, {-dy, p[1] - b.y0}, {dy, b.y1 - p[1]}} {
		pp, qq := c[0], c[1]
		if pp == 0 {
			if qq < 0 {
				return false
			}
			continue
		}
		r := qq / pp
		if pp < 0 {
			t0 = max(t0, r)
		} else {
			t1 = min(t1, r)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}

// sameLabel says whether two boxes are lines of one label (stacked, centred
// on one x), which touch by design.
func sameLabel(a, b box) bool {
	return math.Abs((a.x0+a.x1)/2-(b.x0+b.x1)/2) < 0.5 && math.Abs(a.y0-b.y0) < 20
}

func crosses(a, b []chunk, nodes []box, ea, eb map[int]bool) bool {
	for _, ca := range a {
		for _, cb := range b {
			if !ca.b.touches(cb.b) {
				continue
			}
			for _, sa := range ca.segs {
				for _, sb := range cb.segs {
					x, y, ok := segCross(sa[0], sa[1], sb[0], sb[1])
					if !ok {
						continue
					}
					near := false
					for n := range ea {
						if eb[n] && nodes[n].grow(12).contains(x, y) {
							near = true
						}
					}
					if !near {
						return true
					}
				}
			}
		}
	}
	return false
}

func segCross(p, p2, q, q2 [2]float64) (x, y float64, ok bool) {
	if max(p[0], p2[0]) < min(q[0], q2[0]) || max(q[0], q2[0]) < min(p[0], p2[0]) ||
		max(p[1], p2[1]) < min(q[1], q2[1]) || max(q[1], q2[1]) < min(p[1], p2[1]) {
		return 0, 0, false
	}
	rx, ry := p2[0]-p[0], p2[1]-p[1]
	sx, sy := q2[0]-q[0], q2[1]-q[1]
	den := rx*sy - ry*sx
	if math.Abs(den) < 1e-9 {
		return 0, 0, false
	}
	t := ((q[0]-p[0])*sy - (q[1]-p[1])*sx) / den
	u := ((q[0]-p[0])*ry - (q[1]-p[1])*rx) / den
	// A line that ends on another (a drop onto a bus) touches it, within
	// rounding, and does not cross it.
	const touch = 0.5
	if t <= 0 || t >= 1 || u <= 0 || u >= 1 {
		return 0, 0, false
	}
	la, lb := math.Hypot(rx, ry), math.Hypot(sx, sy)
	if t*la <= touch || (1-t)*la <= touch || u*lb <= touch || (1-u)*lb <= touch {
		return 0, 0, false
	}
	return p[0] + t*rx, p[1] + t*ry, true
}

// qualityTopologies are the topologies of the table.
func qualityTopologies() []*format.Topology {
	var ts []*format.Topology
	for _, n := range []int{10, 50, 500} {
		ts = append(ts, pipelineTopo(n))
	}
	for _, k := range []int{8, 64, 256} {
		ts = append(ts, farmTopo(k))
	}
	ts = append(ts, sharedFarmTopo(64), loopFarmTopo(8), loopFarmTopo(200))
	ts = append(ts, ringTopo(8), ringTopo(40), treeTopo(4), treeTopo(6), treeTopo(8))
	for _, n := range []int{50, 150, 500} {
		ts = append(ts, sieveTopo(n))
	}
	return append(ts, remoteFarmTopo(), distFarmTopo(4, 12), distFarmTopo(8, 24))
}

// dotQuick says whether the test lays top out with Graphviz's dot itself: it
// runs in-process and uninterruptibly, and on a sieve it takes seconds (50
// filters) to hours; for those the test reads dot's recorded drawing (see
// dotbaseline_test.go).
func dotQuick(top *format.Topology) bool {
	return !strings.HasPrefix(top.Name, "sieve")
}

// TestLayoutQuality prints, for each topology, the figures of the layout the
// page shows (auto) and of Graphviz's dot, and checks the targets: no edge
// through a box, no label over a label, a box or an edge not its own, at most
// 1.2 times dot's crossings where dot finished, and for a distributed
// network every process inside its node's box and no two node boxes
// overlapping.
func TestLayoutQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("lays out 500-process networks, and small ones with Graphviz")
	}
	update := os.Getenv("CSPVIZ_DOT_BASELINE") == "update"
	limit := 10 * time.Minute
	if s := os.Getenv("CSPVIZ_DOT_LIMIT"); s != "" {
		var err error
		limit, err = time.ParseDuration(s)
		require.NoError(t, err, "CSPVIZ_DOT_LIMIT")
	}
	var only *regexp.Regexp // the topologies to record, when not all
	if s := os.Getenv("CSPVIZ_DOT_ONLY"); s != "" {
		only = regexp.MustCompile(s)
	}
	ctx := context.Background()
	var rows []string
	rows = append(rows, fmt.Sprintf("%-16s %5s %5s | %-7s %7s %8s %9s | %-9s | %7s %8s %9s", "topology", "procs", "edges", "layout", "through", "overlaps", "crossings", "layered", "dot thr", "dot ovl", "dot cross"))
	for _, top := range qualityTopologies() {
		g := Build(top, WithLiveLabels())
		svg, used, err := g.Draw(ctx)
		require.NoError(t, err)
		if dir := os.Getenv("CSPVIZ_QUALITY_SVG"); dir != "" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, top.Name+".svg"), svg, 0o644))
		}
		d := readDrawing(t, svg)
		require.NotEmpty(t, d.nodes, top.Name)
		q := measure(d)
		checkNodeBoxes(t, top, d)
		fallback := ""
		if used.Engine == "dot" {
			// The page draws with the layered layout when Graphviz is busy
			// or slow: it must meet the targets too, node boxes included.
			lsvg, _, err := Build(top, WithLiveLabels(), WithLayout(LayoutLayered)).Draw(ctx)
			require.NoError(t, err)
			if dir := os.Getenv("CSPVIZ_QUALITY_SVG"); dir != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, top.Name+"-layered.svg"), lsvg, 0o644))
			}
			ld := readDrawing(t, lsvg)
			checkNodeBoxes(t, top, ld)
			lq := measure(ld)
			fallback = fmt.Sprintf("%d/%d/%d", lq.through, lq.overlaps, lq.crossings)
			assert.Zero(t, lq.through, "%s, layered: edges through boxes", top.Name)
			assert.Zero(t, lq.overlaps, "%s, layered: overlapping labels", top.Name)
		}

		var dsvg []byte
		why := ""
		switch {
		case dotQuick(top):
			start := time.Now()
			dsvg, err = SVG(ctx, Build(top, WithLiveLabels(), WithLayout("dot")).DOT)
			require.NoError(t, err)
			t.Logf("%s: dot took %v", top.Name, time.Since(start).Round(time.Millisecond))
		default:
			if update && (only == nil || only.MatchString(top.Name)) {
				recordDot(t, top, limit)
			}
			dsvg, why = recordedDot(top.Name)
		}
		dotCol := fmt.Sprintf("%7s %8s %9s   %s", "-", "-", "-", why)
		if dsvg != nil {
			dq := measure(readDrawing(t, dsvg))
			dotCol = fmt.Sprintf("%7d %8d %9d", dq.through, dq.overlaps, dq.crossings)
			assert.LessOrEqual(t, float64(q.crossings), 1.2*float64(dq.crossings), "%s: crossings against dot's", top.Name)
		}
		rows = append(rows, fmt.Sprintf("%-16s %5d %5d | %-7s %7d %8d %9d | %-9s | %s", top.Name, len(top.Processes), len(d.edges), used.Engine, q.through, q.overlaps, q.crossings, fallback, dotCol))
		assert.Zero(t, q.through, "%s: edges through boxes", top.Name)
		assert.Zero(t, q.overlaps, "%s: overlapping labels", top.Name)
		if c, ok := crossingCeiling[top.Name]; ok && dsvg == nil {
			assert.LessOrEqual(t, q.crossings, c, "%s: crossings", top.Name)
		}
	}
	table := strings.Join(rows, "\n")
	t.Log("layout quality: the page's layout (through boxes, overlapping labels, crossings), the layered layout's where the page uses dot (its fallback), and Graphviz dot's:\n" + table)
	if path := os.Getenv("CSPVIZ_QUALITY_TABLE"); path != "" {
		require.NoError(t, os.WriteFile(path, []byte(table+"\n"), 0o644))
	}
}

// checkNodeBoxes checks that in a distributed network's drawing every process
// that names its node lies inside that node's box and no other, and that no
// two node boxes overlap.
func checkNodeBoxes(t *testing.T, top *format.Topology, d drawing) {
	t.Helper()
	node := map[string]string{}
	for _, p := range top.Processes {
		if n := p.Attrs[NodeAttr]; n != "" {
			node[orDefault(p.Name, p.ID)] = n
		}
	}
	if len(node) == 0 {
		assert.Empty(t, d.nodeBoxes, "%s: node boxes without nodes", top.Name)
		return
	}
	inside := func(a, b box) bool { return a.x0 >= b.x0 && a.x1 <= b.x1 && a.y0 >= b.y0 && a.y1 <= b.y1 }
	for _, p := range d.procs {
		want, ok := node[p.name]
		if !ok {
			continue
		}
		var in []string
		for _, nb := range d.nodeBoxes {
			if inside(p.box, nb.box) {
				in = append(in, nb.name)
			}
		}
		assert.Equal(t, []string{"node " + want}, in, "%s: %s lies in its node's box only", top.Name, p.name)
	}
	for i, a := range d.nodeBoxes {
		for _, b := range d.nodeBoxes[i+1:] {
			assert.False(t, a.overlaps(b.box), "%s: node boxes %s and %s overlap", top.Name, a.name, b.name)
		}
	}
}

// crossingCeiling holds the crossings of the topologies dot has no recorded
// drawing of, as they are, so that a change that makes them worse fails.
var crossingCeiling = map[string]int{
	"sieve-150": 0,
	"sieve-500": 0,
}
