package render

import (
	"context"
	"errors"
	"time"
)

// Graphviz is used only for networks within these bounds. Beyond them its
// cost is unbounded in practice (dot took a minute for a sieve of 84
// processes, neato 15s and sfdp 48s for 500 processes and 1,000 channels),
// and while it runs as WebAssembly the goroutine cannot be preempted, which
// stalls the whole program at its next garbage collection. What makes dot
// slow is long edges (each is a chain of virtual nodes through every rank it
// spans) and shared channels of many ends (the sieve's primes), not the
// number of processes: a farm of 64 workers on their own channels takes it
// 80ms, a tree of 63 processes 30ms, and reads far better than the layered
// layout's folded columns (TestLayoutQuality).
const (
	graphvizMaxNodes  = 150
	graphvizMaxEdges  = 300
	graphvizMaxDegree = 10  // ends of one shared channel
	graphvizMaxSpan   = 400 // ranks spanned by all the edges together
	// dot draws a long chain as one line, which fitted to a window is too
	// small to read; the layered layout wraps it into bands.
	graphvizMaxRanks = 15
)

// Small reports whether g is small enough to be laid out by Graphviz.
func (g *Graph) Small() bool {
	if len(g.nodes) > graphvizMaxNodes || len(g.edges) > graphvizMaxEdges {
		return false
	}
	deg := make([]int, len(g.nodes))
	out := make([][]int, len(g.nodes))
	in := make([][]int, len(g.nodes))
	for _, e := range g.edges {
		deg[e.from]++
		deg[e.to]++
		if e.from != e.to {
			out[e.from] = append(out[e.from], e.to)
			in[e.to] = append(in[e.to], e.from)
		}
	}
	for i, d := range deg {
		if g.nodes[i].ellipse && d > graphvizMaxDegree {
			return false
		}
	}
	// The ranks are dot's too, near enough: the longest path from a source.
	saved := make([]int, len(g.nodes))
	for i := range g.nodes {
		saved[i], g.nodes[i].rank = g.nodes[i].rank, 0
	}
	g.rank(out, in)
	span, ranks := 0, 0
	for _, nd := range g.nodes {
		ranks = max(ranks, nd.rank+1)
	}
	for _, e := range g.edges {
		span += max(g.nodes[e.to].rank-g.nodes[e.from].rank, g.nodes[e.from].rank-g.nodes[e.to].rank, 1)
	}
	for i := range g.nodes {
		g.nodes[i].rank = saved[i]
	}
	return span <= graphvizMaxSpan && ranks <= graphvizMaxRanks
}

// Layout says which layout drew an SVG.
type Layout struct {
	// Engine is the Graphviz engine used, or the built-in layout used
	// ("layered" or "ring").
	Engine string
	// Reason says why the built-in layout was used when another was asked
	// for; empty otherwise.
	Reason string
}

// Draw lays g out and returns the SVG. It never waits on Graphviz longer
// than the timeout (WithGraphvizTimeout), counting the wait for an earlier,
// abandoned Graphviz layout to finish, nor at all for a network too large for
// it (see Small): then the built-in layout draws it, which takes milliseconds.
// It fails only when ctx ends first.
func (g *Graph) Draw(ctx context.Context) ([]byte, Layout, error) {
	layered := func(why string) ([]byte, Layout, error) {
		svg, used := g.builtinSVG(g.opts.layout == LayoutAuto)
		return svg, Layout{Engine: used, Reason: why}, nil
	}
	if g.opts.layout == LayoutLayered {
		return layered("")
	}
	if _, _, ring := g.ringOrder(); ring && g.opts.layout == LayoutAuto {
		// Neither Graphviz nor the layered layout draws a ring as one.
		return layered("")
	}
	if !g.Small() {
		return layered("too large for Graphviz to lay out in bounded time")
	}
	// One deadline covers waiting for Graphviz (an earlier, abandoned layout
	// may still hold it) and the layout itself.
	timer := time.NewTimer(g.opts.timeout)
	defer timer.Stop()
	select {
	case graphvizMu <- struct{}{}:
	case <-timer.C:
		return layered("Graphviz is busy with an earlier layout")
	case <-ctx.Done():
		return nil, Layout{}, errors.Join(errors.New("laying out: stopped"), ctx.Err())
	}
	type result struct {
		svg []byte
		err error
	}
	done := make(chan result, 1)
	// The goroutine owns the semaphore from here: when we stop waiting, it
	// goes on to finish (Graphviz cannot be interrupted) and then frees it.
	go func() {
		defer func() { <-graphvizMu }()
		svg, err := svgLocked(context.WithoutCancel(ctx), g.DOT)
		done <- result{svg, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return layered("Graphviz failed: " + r.err.Error())
		}
		return r.svg, Layout{Engine: g.opts.graphvizEngine()}, nil
	case <-timer.C:
		return layered("Graphviz took longer than " + g.opts.timeout.String())
	case <-ctx.Done():
		return nil, Layout{}, errors.Join(errors.New("laying out: stopped"), ctx.Err())
	}
}
