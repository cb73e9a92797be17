package render

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"

	"github.com/gocsp/gocsp/tools/cspviz/internal/fakenet"
)

// A remote channel's other side is drawn as a box for its node, which the channel's edge reaches,
// by Graphviz and by the built-in layout alike; one box per node, however many channels lead there.
func TestRemoteChannelsLeadToTheirNode(t *testing.T) {
	top := fakenet.Dispatcher().Topology()
	require.NoError(t, top.Validate())
	g := Build(top)
	dot := string(g.DOT)
	require.Equal(t, 1, strings.Count(dot, `"n:10.0.0.7:7000" [id="remote-`), "one box per node:\n%s", dot)
	require.Contains(t, dot, `"p:p1" -> "n:10.0.0.7:7000"`, "the writer's edge leads to the node")
	require.Contains(t, dot, `"n:10.0.0.7:7000" -> "p:p1"`, "the reader's edge comes from the node")
	require.Contains(t, dot, `"p:p1" -> "n:10.0.0.8:7000"`)
	for _, layout := range []string{"dot", LayoutLayered} {
		svg, used, err := Build(top, WithLayout(layout)).Draw(context.Background())
		require.NoError(t, err)
		texts, ids := parseSVG(t, svg)
		joined := strings.Join(texts, "\n")
		require.Contains(t, joined, "node 10.0.0.7:7000", "layout %s", used.Engine)
		require.Contains(t, joined, "node 10.0.0.8:7000", "layout %s", used.Engine)
		require.True(t, ids["remote-0"] && ids["remote-1"], "layout %s: the node boxes have ids", used.Engine)
	}
}

// The layered layout draws the nodes of any distributed network as boxes, however its processes
// are spread over them: every process inside its own node's box and no other, no two boxes
// overlapping, whether the drawing folds into bands (a long chain) or not, with shared channels
// and cycles.
func TestLayeredNodeBoxesHoldTheirProcesses(t *testing.T) {
	for _, size := range [][2]int{{40, 60}, {300, 600}} {
		top := generated(size[0], size[1])
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range top.Processes {
			top.Processes[i].Attrs = map[string]string{NodeAttr: fmt.Sprintf("10.0.0.%d:7000", rng.IntN(5))}
		}
		top.Name = fmt.Sprintf("%s-on-5-nodes", top.Name)
		svg, used, err := Build(top, WithLiveLabels(), WithLayout(LayoutLayered)).Draw(context.Background())
		require.NoError(t, err)
		require.Equal(t, LayoutLayered, used.Engine)
		d := readDrawing(t, svg)
		require.NotEmpty(t, d.nodeBoxes, top.Name)
		checkNodeBoxes(t, top, d)
	}
}

// Small networks of every shape — self-loops, channels with no reader or writer, remote channels
// to nodes drawn and not drawn, processes on nodes and not — are drawn by the layered layout as
// well-formed SVG whose node boxes hold their processes.
func TestLayeredDrawsAnySmallNetwork(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 300 {
		top := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: fmt.Sprint("random-", n)}
		procs := 1 + rng.IntN(12)
		for i := range procs {
			p := format.Process{ID: fmt.Sprint("p", i), Name: fmt.Sprint("proc ", i)}
			if rng.IntN(2) == 0 {
				p.Attrs = map[string]string{NodeAttr: fmt.Sprintf("h%d:1", rng.IntN(3))}
			}
			top.Processes = append(top.Processes, p)
		}
		for c := range rng.IntN(16) {
			ch := format.Channel{ID: fmt.Sprint("c", c), Name: fmt.Sprint("ch", c), Buffer: rng.IntN(3)}
			if rng.IntN(4) == 0 {
				ch.Remote = fmt.Sprintf("h%d:1", rng.IntN(4))
				if rng.IntN(2) == 0 {
					ch.Name = ch.Remote + "/" + fmt.Sprint("ch", rng.IntN(16))
				}
			}
			top.Channels = append(top.Channels, ch)
			for range rng.IntN(4) {
				dir := format.DirWrite
				if rng.IntN(2) == 0 {
					dir = format.DirRead
				}
				top.Ends = append(top.Ends, format.End{Process: fmt.Sprint("p", rng.IntN(procs)), Channel: ch.ID, Dir: dir})
			}
		}
		require.NoError(t, top.Validate())
		svg, _, err := Build(top, WithLiveLabels(), WithLayout(LayoutLayered)).Draw(context.Background())
		require.NoError(t, err)
		checkNodeBoxes(t, top, readDrawing(t, svg))
		if t.Failed() {
			t.Fatalf("%s:\n%s", top.Name, svg)
		}
	}
}
