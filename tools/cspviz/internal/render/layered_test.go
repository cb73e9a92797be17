package render

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
)

// A network too large for Graphviz is drawn by the built-in layout: every process and channel
// of the topology has its element in well-formed SVG, whatever layout was asked for.
func TestDrawLargeNetworkUsesTheBuiltInLayout(t *testing.T) {
	top := generated(500, 1000)
	for _, layout := range []string{LayoutAuto, "dot", "neato"} {
		g := Build(top, WithLayout(layout), WithLiveLabels())
		assert.False(t, g.Small())
		svg, how, err := g.Draw(context.Background())
		require.NoError(t, err)
		assert.Equal(t, LayoutLayered, how.Engine, layout)
		assert.Contains(t, how.Reason, "too large", layout)
		_, ids := parseSVG(t, svg)
		for _, sid := range g.Procs {
			assert.True(t, ids[sid], "process element %s missing", sid)
		}
		for _, sids := range g.Chans {
			for _, sid := range sids {
				assert.True(t, ids[sid], "channel element %s missing", sid)
			}
		}
	}
}

// The sieve's shape — every filter writes to one shared channel — is what made dot run for
// minutes; it must never reach Graphviz, however few processes there are.
func TestDrawSharedChannelOfManyWritersAvoidsGraphviz(t *testing.T) {
	top := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: "sieve-like"}
	top.Channels = append(top.Channels, format.Channel{ID: "primes"})
	for i := range 12 {
		id := fmt.Sprint("f", i)
		top.Processes = append(top.Processes, format.Process{ID: id})
		top.Ends = append(top.Ends, format.End{Process: id, Channel: "primes", Dir: format.DirWrite})
	}
	top.Processes = append(top.Processes, format.Process{ID: "printer"})
	top.Ends = append(top.Ends, format.End{Process: "printer", Channel: "primes", Dir: format.DirRead})
	g := Build(top)
	assert.False(t, g.Small())
	_, how, err := g.Draw(context.Background())
	require.NoError(t, err)
	assert.Equal(t, LayoutLayered, how.Engine)
}

// Small networks still get Graphviz's dot under auto, which reads best.
func TestDrawSmallNetworkUsesDot(t *testing.T) {
	g := Build(fixture(t, "commstime.json"), WithLiveLabels())
	require.True(t, g.Small())
	_, how, err := g.Draw(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Layout{Engine: "dot"}, how)
}

// The layered layout runs a pipeline in reading order: each stage's box lies right of the one
// that writes to it, or (a long pipeline folds into bands, like lines of text) in a band below.
func TestLayeredPipelineRunsLeftToRight(t *testing.T) {
	top := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: "pipe"}
	for i := range 6 {
		top.Processes = append(top.Processes, format.Process{ID: fmt.Sprint("s", i), Name: fmt.Sprint("stage ", i)})
	}
	for i := range 5 {
		c := fmt.Sprint("c", i)
		top.Channels = append(top.Channels, format.Channel{ID: c})
		top.Ends = append(top.Ends, format.End{Process: fmt.Sprint("s", i), Channel: c, Dir: format.DirWrite},
			format.End{Process: fmt.Sprint("s", i+1), Channel: c, Dir: format.DirRead})
	}
	g := Build(top, WithLayout(LayoutLayered), WithLiveLabels())
	svg, _, err := g.Draw(context.Background())
	require.NoError(t, err)
	boxes := nodeBoxes(t, string(svg))
	require.Len(t, boxes, 6)
	folded := false
	for i := 1; i < 6; i++ {
		prev, cur := boxes[g.Procs[fmt.Sprint("s", i-1)]], boxes[g.Procs[fmt.Sprint("s", i)]]
		assert.True(t, cur[0] > prev[2] || cur[1] > prev[3], "stage %d %v follows stage %d %v", i, cur, i-1, prev)
		folded = folded || cur[1] > prev[3]
	}
	assert.True(t, folded, "six stages in a row are much wider than high: they fold")
}

// A farm of 64 workers folds into columns: the drawing is not a pole 64 boxes high, and no two
// boxes overlap.
func TestLayeredFarmFoldsIntoColumnsWithoutOverlap(t *testing.T) {
	top := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: "farm"}
	top.Processes = append(top.Processes, format.Process{ID: "src"}, format.Process{ID: "sink"})
	top.Channels = append(top.Channels, format.Channel{ID: "jobs"}, format.Channel{ID: "results"})
	top.Ends = append(top.Ends, format.End{Process: "src", Channel: "jobs", Dir: format.DirWrite},
		format.End{Process: "sink", Channel: "results", Dir: format.DirRead})
	for i := range 64 {
		id := fmt.Sprint("w", i)
		top.Processes = append(top.Processes, format.Process{ID: id, Name: fmt.Sprint("worker ", i)})
		top.Ends = append(top.Ends, format.End{Process: id, Channel: "jobs", Dir: format.DirRead},
			format.End{Process: id, Channel: "results", Dir: format.DirWrite})
	}
	g := Build(top, WithLiveLabels())
	svg, _, err := g.Draw(context.Background())
	require.NoError(t, err)
	m := regexp.MustCompile(`viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+) ([0-9.]+)"`).FindStringSubmatch(string(svg))
	require.NotNil(t, m)
	w, _ := strconv.ParseFloat(m[1], 64)
	h, _ := strconv.ParseFloat(m[2], 64)
	assert.Less(t, h/w, 3.0, "a 64-worker farm should not be a pole (%.0f×%.0f)", w, h)
	boxes := nodeBoxes(t, string(svg))
	ids := make([]string, 0, len(boxes))
	for id := range boxes {
		ids = append(ids, id)
	}
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			p, q := boxes[a], boxes[b]
			overlap := p[0] < q[2] && q[0] < p[2] && p[1] < q[3] && q[1] < p[3]
			assert.False(t, overlap, "%s %v overlaps %s %v", a, p, b, q)
		}
	}
}

// nodeBoxes returns the bounding box (x0, y0, x1, y1) of every process box the layered layout drew.
func nodeBoxes(t *testing.T, svg string) map[string][4]float64 {
	t.Helper()
	re := regexp.MustCompile(`<g id="(proc-[0-9]+)" class="node proc"><title>[^<]*</title><path [^>]*d="M([0-9.]+),([0-9.]+) L([0-9.]+),[0-9.]+ Q[0-9.]+,[0-9.]+ [0-9.]+,[0-9.]+ L[0-9.]+,([0-9.]+)`)
	out := map[string][4]float64{}
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
		// The path starts r=6 right of the corner and its second corner's y is r below the top.
		out[m[1]] = [4]float64{f(m[2]) - 6, f(m[3]), f(m[4]) + 6, f(m[5]) + 6}
	}
	return out
}

// BenchmarkLayoutGenerated500x1000 lays out a generated network of 500 processes and 1,000
// channels as the live page does (layout auto). The requirement is under 2 s; Graphviz took 15 s
// (neato) and 48 s (sfdp) for the same graph on the 2-core CI machine.
func BenchmarkLayoutGenerated500x1000(b *testing.B) {
	top := generated(500, 1000)
	for b.Loop() {
		g := Build(top, WithLiveLabels())
		if _, _, err := g.Draw(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// The dining philosophers (the fixture is the butler-less ten) are drawn as the ring they are:
// under auto every philosopher and fork sits on one circle, and no two boxes overlap. With a
// butler, it sits in the middle.
func TestDrawPhilosophersAsARing(t *testing.T) {
	top := fixture(t, "philosophers.json")
	for _, butler := range []bool{false, true} {
		if butler {
			top.Processes = append(top.Processes, format.Process{ID: "butler", Name: "butler"})
			for i := range 5 {
				c := fmt.Sprint("sit", i)
				top.Channels = append(top.Channels, format.Channel{ID: c})
				top.Ends = append(top.Ends, format.End{Process: fmt.Sprint("phil", i), Channel: c, Dir: format.DirWrite},
					format.End{Process: "butler", Channel: c, Dir: format.DirRead})
			}
		}
		g := Build(top, WithLiveLabels())
		svg, how, err := g.Draw(context.Background())
		require.NoError(t, err)
		assert.Equal(t, LayoutRing, how.Engine)
		boxes := nodeBoxes(t, string(svg))
		require.Len(t, boxes, len(top.Processes))
		centre := func(b [4]float64) (float64, float64) { return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2 }
		var cx, cy float64
		n := 0
		for id, sid := range g.Procs {
			if id != "butler" {
				x, y := centre(boxes[sid])
				cx, cy, n = cx+x, cy+y, n+1
			}
		}
		cx, cy = cx/float64(n), cy/float64(n)
		var radii []float64
		for id, sid := range g.Procs {
			x, y := centre(boxes[sid])
			if id == "butler" {
				assert.InDelta(t, cx, x, 1)
				assert.InDelta(t, cy, y, 1)
				continue
			}
			radii = append(radii, math.Hypot(x-cx, y-cy))
		}
		for _, r := range radii {
			assert.InDelta(t, radii[0], r, 1, "all on one circle: %v", radii)
		}
		ids := make([]string, 0, len(boxes))
		for id := range boxes {
			ids = append(ids, id)
		}
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				p, q := boxes[a], boxes[b]
				assert.False(t, p[0] < q[2] && q[0] < p[2] && p[1] < q[3] && q[1] < p[3], "%s overlaps %s", a, b)
			}
		}
	}
	// A pipeline is no ring.
	_, _, ring := Build(fixture(t, "workers.json")).ringOrder()
	assert.False(t, ring)
}

// While Graphviz is held (an earlier layout still runs, as one abandoned after its timeout does),
// Draw waits no longer than its timeout and draws with the built-in layout.
func TestDrawDoesNotWaitOnABusyGraphviz(t *testing.T) {
	graphvizMu <- struct{}{}
	defer func() { <-graphvizMu }()
	g := Build(fixture(t, "commstime.json"), WithGraphvizTimeout(20*time.Millisecond))
	svg, how, err := g.Draw(context.Background())
	require.NoError(t, err)
	assert.Equal(t, LayoutLayered, how.Engine)
	assert.Contains(t, how.Reason, "busy")
	assert.Contains(t, string(svg), "<svg")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = Build(fixture(t, "commstime.json")).Draw(ctx)
	assert.ErrorIs(t, err, context.Canceled, "a stopped caller is not kept waiting")
}

// An edge that skips ranks (a pipeline with a bypass from its first stage to its last, and a
// dispatcher's result edge back past a stage) runs between the boxes of the ranks it passes,
// not through them.
func TestLayeredLongEdgePassesNoBox(t *testing.T) {
	b := newTopo("bypass")
	for i := range 5 {
		b.proc(fmt.Sprint("stage-", i))
	}
	for i := range 4 {
		b.ch(fmt.Sprint("c", i), []string{fmt.Sprint("stage-", i)}, []string{fmt.Sprint("stage-", i+1)})
	}
	b.ch("bypass", []string{"stage-0"}, []string{"stage-4"})
	b.ch("back", []string{"stage-3"}, []string{"stage-1"})
	svg, used, err := Build(b.t, WithLiveLabels(), WithLayout(LayoutLayered)).Draw(context.Background())
	require.NoError(t, err)
	require.Equal(t, LayoutLayered, used.Engine)
	q := measure(readDrawing(t, svg))
	assert.Zero(t, q.through, "edges through boxes")
	assert.Zero(t, q.overlaps, "overlapping labels")
}

// Whatever shape a network has, the layered layout draws no edge through a box: random networks
// of 40 processes and 60 channels and of 500 and 1,000, which fold into bands, with edges that
// skip ranks and bands both ways (45 and 1,032 edges went through boxes before).
func TestLayeredRandomNetworkPassesNoBox(t *testing.T) {
	for _, top := range []*format.Topology{generated(40, 60), generated(500, 1000)} {
		svg, _, err := Build(top, WithLiveLabels(), WithLayout(LayoutLayered)).Draw(context.Background())
		require.NoError(t, err)
		assert.Zero(t, measureOnly(readDrawing(t, svg), true).through, "%s: edges through boxes", top.Name)
	}
}
