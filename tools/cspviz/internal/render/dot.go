package render

import (
	"fmt"
	"html"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gocsp/gocsp/graphs/format"
)

// Graph is a topology prepared for Graphviz.
type Graph struct {
	// DOT is the Graphviz source.
	DOT []byte
	// Procs maps each process id to the SVG id of its node.
	Procs map[string]string
	// Chans maps each channel id to the SVG ids of the elements that draw
	// it: one edge, or a channel node followed by its edges.
	Chans map[string][]string
	// ChanLabels maps each channel id to the SVG id of the element whose
	// last text line carries the channel's live counts (live mode only).
	ChanLabels map[string]string

	// The same drawing as nodes and edges, for the built-in layout.
	nodes   []lnode
	edges   []ledge
	key     map[string]int // DOT node name to index in nodes
	opts    options
	bandH   float64      // the height of one band of the layered layout
	bandGap float64      // the room between two bands
	busSet  map[int]bool // shared channels drawn as buses
	// For each rank of the layered layout: the widest label beside a box
	// of a folded rank, into it and out of it, and the room between rows.
	foldIn, foldOut, rowSep []float64
	// The nodes of a distributed network, in the order of their boxes'
	// ids (nodebox-N), and the boxes the layered layout drew for them.
	clusterNames []string
	nodeBoxes    []nodeBox
	columns      map[int][]column // the layered layout's columns, by band
	grid         map[[2]int][]int // the boxes that meet each cell (see gridCell)
	// The top and height of each stripe of a drawing of nodes.
	stripeTop, stripeH []float64
	bus                map[int]float64     // shared channels drawn as buses, to the x of their trunk
	folds              map[[2]int]foldSpan // the folded ranks of the layered layout, by rank and band
}

// Option adjusts how a topology is drawn.
type Option func(*options)

type options struct {
	layout  string
	live    bool
	timeout time.Duration
}

// WithLayout picks the layout: "auto" (the default) draws a ring-shaped
// network (the dining philosophers) as a ring, and otherwise uses Graphviz's
// dot for small networks, where it reads best, and the built-in layered
// layout for the rest; "layered" always uses the built-in one; a Graphviz engine (dot,
// neato, circo, fdp, sfdp, twopi, osage) is used for networks small enough
// for Graphviz to lay out within bounds (see Small), the built-in layout for
// larger ones.
func WithLayout(engine string) Option { return func(o *options) { o.layout = engine } }

// WithGraphvizTimeout bounds how long SVG waits for Graphviz before it
// draws with the built-in layout instead (default 3s).
func WithGraphvizTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithLiveLabels reserves a second line on every channel label and a state
// line on every process, which the live viewer fills in; the layout then does
// not have to change as counts grow.
func WithLiveLabels() Option { return func(o *options) { o.live = true } }

func buildOptions(opts []Option) options {
	o := options{layout: LayoutAuto, timeout: 3 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// The layouts that are not Graphviz engines.
const (
	LayoutAuto    = "auto"
	LayoutLayered = "layered"
	// LayoutRing is the built-in layout auto picks for a ring-shaped
	// network; it is not a choice of its own.
	LayoutRing = "ring"
)

// Layouts lists the layouts WithLayout accepts.
func Layouts() []string {
	return []string{LayoutAuto, LayoutLayered, "dot", "neato", "circo", "fdp", "sfdp", "twopi", "osage"}
}

// graphvizEngine is the Graphviz engine the DOT names: the chosen one, or dot
// when the layout is not a Graphviz engine.
func (o options) graphvizEngine() string {
	if o.layout == LayoutAuto || o.layout == LayoutLayered {
		return "dot"
	}
	return o.layout
}

// Placeholders sized like the widest text the viewer writes in, so that the
// live labels fit the layout made for them.
const (
	statePlaceholder = "blocked-write"
	countPlaceholder = "888888 msgs"
)

// Build converts t into DOT text. It never fails: names are quoted and
// escaped, so any valid topology yields DOT that Graphviz parses.
func Build(t *format.Topology, opts ...Option) *Graph {
	o := buildOptions(opts)
	g := &Graph{
		Procs:      make(map[string]string, len(t.Processes)),
		Chans:      make(map[string][]string, len(t.Channels)),
		ChanLabels: make(map[string]string, len(t.Channels)),
		key:        make(map[string]int, len(t.Processes)),
		opts:       o,
	}
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", quote(orDefault(t.Name, "network")))
	fmt.Fprintf(&b, "  graph [layout=%s, rankdir=LR, nodesep=0.5, ranksep=0.7, pad=0.3, fontname=\"Helvetica\", overlap=false, splines=true];\n", quote(o.graphvizEngine()))
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\", color=\"#444444\", fontname=\"Helvetica\", fontsize=14, margin=\"0.15,0.08\"];\n")
	b.WriteString("  edge [color=\"#555555\", fontname=\"Helvetica\", fontsize=12, fontcolor=\"#222222\", arrowsize=0.8];\n")

	// Processes that say which node they run on (the attr NodeAttr) are drawn
	// inside a box for that node; a remote channel whose home is such a node
	// leads into its box.
	clusters := map[string]string{} // node to the DOT name of its box
	procNode := map[string]string{} // process id to its node
	inCluster := func(node, stmt string) string {
		if node == "" {
			return stmt
		}
		name, ok := clusters[node]
		if !ok {
			name = fmt.Sprintf("cluster_node_%d", len(clusters))
			clusters[node] = name
			g.clusterNames = append(g.clusterNames, node)
			fmt.Fprintf(&b, "  subgraph %s { id=%s; class=\"nodebox\"; label=%s; style=\"rounded,dashed\"; color=\"#777777\"; fontcolor=\"#555555\"; fontsize=13; labeljust=l; margin=14; }\n",
				quote(name), quote(fmt.Sprintf("nodebox-%d", len(clusters)-1)), quote("node "+node))
		}
		return fmt.Sprintf("  subgraph %s {%s }\n", quote(name), strings.TrimSuffix(stmt, "\n"))
	}
	for i, p := range t.Processes {
		id := fmt.Sprintf("proc-%d", i)
		g.Procs[p.ID] = id
		node := p.Attrs[NodeAttr]
		procNode[p.ID] = node
		b.WriteString(inCluster(node, fmt.Sprintf("  %s [id=%s, class=\"proc\", label=<%s>, tooltip=%s];\n",
			quote("p:"+p.ID), quote(id), procLabel(p, o.live), quote(orDefault(p.Name, p.ID)))))
		g.addNode(lnode{id: id, class: "node proc", tip: orDefault(p.Name, p.ID), lines: procLines(orDefault(p.Name, p.ID), p.Kind, o.live), cluster: g.clusterOf(node)}, "p:"+p.ID)
	}

	writers, readers := endsByChannel(t)
	// A remote channel's other side is on another node: drawn as one box per node, which stands for
	// the ends there.
	remotes := map[string]string{}
	remote := func(addr string) string {
		key := "n:" + addr
		if _, ok := remotes[addr]; !ok {
			id := fmt.Sprintf("remote-%d", len(remotes))
			remotes[addr] = id
			home := "" // the node's own box, when its processes are drawn
			if _, ok := clusters[addr]; ok {
				home = addr
			}
			b.WriteString(inCluster(home, fmt.Sprintf("  %s [id=%s, class=\"remote\", style=\"rounded,dashed\", fillcolor=\"#ffffff\", label=%s, tooltip=%s];\n",
				quote(key), quote(id), quote("node "+addr), quote("another node: "+addr))))
			g.addNode(lnode{id: id, class: "node remote", tip: "another node: " + addr, lines: procLines("node "+addr, "another node", false), cluster: g.clusterOf(home)}, key)
		}
		return key
	}
	home, served := homeChannels(t, clusters, procNode, writers, readers)
	for i, c := range t.Channels {
		if _, ok := served[c.ID]; ok {
			continue // drawn with the remote channel that reaches it
		}
		base := fmt.Sprintf("chan-%d", i)
		label := chanLabel(c, o.live)
		ws, rs := keys(writers[c.ID]), keys(readers[c.ID])
		if h, ok := home[c.ID]; ok {
			// One line from the ends here to the ends there, across the
			// nodes' boxes.
			ws = append(ws, keys(writers[h])...)
			rs = append(rs, keys(readers[h])...)
		}
		if c.Remote != "" && (len(ws) == 0 || len(rs) == 0) {
			switch {
			case len(rs) == 0:
				rs = []string{remote(c.Remote)}
			case len(ws) == 0:
				ws = []string{remote(c.Remote)}
			}
		}
		if len(ws) == 1 && len(rs) == 1 {
			g.Chans[c.ID] = []string{base}
			g.ChanLabels[c.ID] = base
			fmt.Fprintf(&b, "  %s -> %s [id=%s, class=\"chan\", label=%s, tooltip=%s];\n",
				quote(ws[0]), quote(rs[0]), quote(base), quote(label), quote(orDefault(c.Name, c.ID)))
			g.addEdge(ledge{id: base, class: "edge chan", tip: orDefault(c.Name, c.ID), label: chanLines(orDefault(c.Name, c.ID), c.Buffer, o.live)}, ws[0], rs[0])
			continue
		}
		ids := []string{base}
		g.ChanLabels[c.ID] = base
		fmt.Fprintf(&b, "  %s [id=%s, class=\"chan chan-node\", shape=ellipse, style=filled, fillcolor=\"#ffffff\", color=\"#555555\", fontsize=12, margin=\"0.05,0.02\", label=%s, tooltip=%s];\n",
			quote("c:"+c.ID), quote(base), quote(label), quote(orDefault(c.Name, c.ID)))
		// A channel lies in the box of the node it lives on: a remote
		// channel's home, or the one node all its ends are on.
		where := ""
		if _, ok := home[c.ID]; ok {
			where = c.Remote
		} else if ends := append(append([]string{}, writers[c.ID]...), readers[c.ID]...); c.Remote == "" && allOn(procNode[firstOr(ends)], procNode, ends) {
			where = procNode[ends[0]]
		}
		g.addNode(lnode{id: base, class: "node chan chan-node", tip: orDefault(c.Name, c.ID), lines: chanLines(orDefault(c.Name, c.ID), c.Buffer, o.live), ellipse: true, cluster: g.clusterOf(where)}, "c:"+c.ID)
		for k, w := range ws {
			id := fmt.Sprintf("%s-w%d", base, k)
			ids = append(ids, id)
			fmt.Fprintf(&b, "  %s -> %s [id=%s, class=\"chan chan-end\"];\n", quote(w), quote("c:"+c.ID), quote(id))
			g.addEdge(ledge{id: id, class: "edge chan chan-end"}, w, "c:"+c.ID)
		}
		for k, r := range rs {
			id := fmt.Sprintf("%s-r%d", base, k)
			ids = append(ids, id)
			fmt.Fprintf(&b, "  %s -> %s [id=%s, class=\"chan chan-end\"];\n", quote("c:"+c.ID), quote(r), quote(id))
			g.addEdge(ledge{id: id, class: "edge chan chan-end"}, "c:"+c.ID, r)
		}
		if len(ws) >= busMin {
			ids = append(ids, base+"-bus") // the built-in layout's bus, when it draws one (see busMin)
		}
		g.Chans[c.ID] = ids
	}
	for local, remote := range served {
		g.Chans[local] = g.Chans[remote]
	}
	b.WriteString("}\n")
	g.DOT = []byte(b.String())
	return g
}

// NodeAttr is the process attribute that names the node a process runs on
// (its address, host:port, as remote channels name it, or any name): such
// processes are drawn inside a box for their node.
const NodeAttr = "node"

// homeChannels pairs each remote channel whose node is drawn as a box with the
// channel it reaches there: the one named as the remote channel's export
// ("host:port/jobs" reaches "jobs", or "jobs @n2" on a page of several nodes),
// all of whose ends are on that node and whose other side is missing. home maps
// the remote channel to it, served the other way.
func homeChannels(t *format.Topology, clusters, procNode map[string]string, writers, readers map[string][]string) (home, served map[string]string) {
	home, served = map[string]string{}, map[string]string{}
	for _, c := range t.Channels {
		if c.Remote == "" || clusters[c.Remote] == "" {
			continue
		}
		name := strings.TrimPrefix(orDefault(c.Name, c.ID), c.Remote+"/")
		name, _, _ = strings.Cut(name, " @")
		for _, l := range t.Channels {
			if l.Remote != "" || served[l.ID] != "" {
				continue
			}
			lname, _, _ := strings.Cut(l.Name, " @")
			if lname != name || !allOn(c.Remote, procNode, writers[l.ID], readers[l.ID]) {
				continue
			}
			// The remote channel's local ends and the home channel's must
			// be the two sides: writers here and readers there, or back.
			if (len(writers[c.ID]) > 0 && len(readers[l.ID]) > 0 && len(writers[l.ID]) == 0 && len(readers[c.ID]) == 0) ||
				(len(readers[c.ID]) > 0 && len(writers[l.ID]) > 0 && len(readers[l.ID]) == 0 && len(writers[c.ID]) == 0) {
				home[c.ID], served[l.ID] = l.ID, c.ID
				break
			}
		}
	}
	return home, served
}

// allOn reports whether every process named is on node, and there is one.
func allOn(node string, procNode map[string]string, lists ...[]string) bool {
	n := 0
	for _, l := range lists {
		for _, p := range l {
			if procNode[p] != node {
				return false
			}
			n++
		}
	}
	return n > 0
}

// clusterOf is the index of node's box in clusterNames, or -1 for none.
func (g *Graph) clusterOf(node string) int {
	if node == "" {
		return -1
	}
	return slices.Index(g.clusterNames, node)
}

func firstOr(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

// keys turns process ids into the DOT names of their nodes.
func keys(procs []string) []string {
	ks := make([]string, len(procs))
	for i, p := range procs {
		ks[i] = "p:" + p
	}
	return ks
}

// endsByChannel lists the writer and reader processes of each channel, each
// process once per direction, in a stable order.
func endsByChannel(t *format.Topology) (writers, readers map[string][]string) {
	writers, readers = map[string][]string{}, map[string][]string{}
	seen := map[format.End]bool{}
	for _, e := range t.Ends {
		k := format.End{Process: e.Process, Channel: e.Channel, Dir: e.Dir}
		if seen[k] {
			continue
		}
		seen[k] = true
		if e.Dir == format.DirWrite {
			writers[e.Channel] = append(writers[e.Channel], e.Process)
		} else {
			readers[e.Channel] = append(readers[e.Channel], e.Process)
		}
	}
	for _, m := range []map[string][]string{writers, readers} {
		for _, v := range m {
			sort.Strings(v)
		}
	}
	return writers, readers
}

// procLabel is an HTML-like label: the name, the kind smaller and grey, and in
// live mode a state line that the viewer rewrites.
func procLabel(p format.Process, live bool) string {
	var b strings.Builder
	b.WriteString(htmlText(orDefault(p.Name, p.ID)))
	if p.Kind != "" {
		fmt.Fprintf(&b, `<BR/><FONT POINT-SIZE="11" COLOR="#555555">%s</FONT>`, htmlText(p.Kind))
	}
	if live {
		fmt.Fprintf(&b, `<BR/><FONT POINT-SIZE="11">%s</FONT>`, statePlaceholder)
	}
	return b.String()
}

func chanLabel(c format.Channel, live bool) string {
	s := orDefault(c.Name, c.ID)
	if c.Buffer > 0 {
		s = fmt.Sprintf("%s [%d]", s, c.Buffer)
	}
	if live {
		s += "\n" + countPlaceholder
		if c.Buffer > 0 {
			s += fmt.Sprintf(" · %d/%d", c.Buffer, c.Buffer)
		}
	}
	return s
}

// htmlText escapes s for a Graphviz HTML-like label. Graphviz also needs
// control characters gone and treats a bare newline as a space anyway.
func htmlText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return html.EscapeString(s)
}

// quote makes s a DOT double-quoted string. Graphviz's escString treats
// backslash sequences (\n, \N, \G, ...) specially in labels and ids, so a
// literal backslash is doubled and the only escape we emit on purpose is \n.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
