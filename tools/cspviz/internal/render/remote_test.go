package render

import (
	"context"
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
