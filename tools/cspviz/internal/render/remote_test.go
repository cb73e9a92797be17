package render

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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
