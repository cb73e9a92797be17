package render

import (
	"bytes"
	"context"
	"fmt"

	"github.com/goccy/go-graphviz"

	"github.com/gocsp/gocsp/graphs/format"
)

// graphvizMu serialises every use of go-graphviz (a one-slot semaphore, so
// that Draw can wait for it with a deadline). The library runs Graphviz
// in one WebAssembly module instance shared by the whole process, which is not
// safe for concurrent use, so this lock is the one piece of package-level
// state: it guards state that is package-level in the library already.
var graphvizMu = make(chan struct{}, 1)

// SVG lays out DOT text with Graphviz and returns the SVG document. The
// layout engine is the one named in the DOT (graph [layout=...]), dot by
// default.
//
// It runs Graphviz unbounded and uninterruptibly: use it on DOT of known,
// small size; Graph.Draw bounds it.
func SVG(ctx context.Context, dot []byte) ([]byte, error) {
	graphvizMu <- struct{}{}
	defer func() { <-graphvizMu }()
	return svgLocked(ctx, dot)
}

func svgLocked(ctx context.Context, dot []byte) ([]byte, error) {
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting graphviz: %w", err)
	}
	defer gv.Close()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("parsing DOT: %w", err)
	}
	defer g.Close()
	var buf bytes.Buffer
	if err := gv.Render(ctx, g, graphviz.SVG, &buf); err != nil {
		return nil, fmt.Errorf("laying out SVG: %w", err)
	}
	return buf.Bytes(), nil
}

// ParseDOT checks that Graphviz parses dot and returns the names of its
// nodes; tests and the fuzzer use it to prove the DOT we write is well formed.
func ParseDOT(dot []byte) (nodes []string, edges int, err error) {
	graphvizMu <- struct{}{}
	defer func() { <-graphvizMu }()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, 0, fmt.Errorf("parsing DOT: %w", err)
	}
	defer g.Close()
	n, err := g.FirstNode()
	for ; n != nil && err == nil; n, err = g.NextNode(n) {
		name, nerr := n.Name()
		if nerr != nil {
			return nil, 0, nerr
		}
		nodes = append(nodes, name)
		e, eerr := g.FirstOut(n)
		for ; e != nil && eerr == nil; e, eerr = g.NextOut(e) {
			edges++
		}
		if eerr != nil {
			return nil, 0, eerr
		}
	}
	if err != nil {
		return nil, 0, err
	}
	return nodes, edges, nil
}

// Render builds t and writes it in the named format: "dot" for the DOT
// source, "svg" for a laid-out SVG image.
func Render(ctx context.Context, t *format.Topology, outFormat string, opts ...Option) ([]byte, error) {
	g := Build(t, opts...)
	switch outFormat {
	case "dot":
		return g.DOT, nil
	case "svg":
		svg, _, err := g.Draw(ctx)
		return svg, err
	}
	return nil, fmt.Errorf("unknown output format %q (want svg or dot)", outFormat)
}
