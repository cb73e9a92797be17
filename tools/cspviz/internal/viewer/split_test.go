package viewer

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/render"
)

// A drawing cut into its frame and parts is the same drawing again when the
// parts go back into the frame's group, in order, and every part is well-formed
// on its own: for both layouts the page may get.
func TestSplitSVGKeepsTheDrawing(t *testing.T) {
	top := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: "chain"}
	for i := range 60 {
		top.Processes = append(top.Processes, format.Process{ID: fmt.Sprint("p", i), Name: fmt.Sprint("stage-", i)})
		if i > 0 {
			c := fmt.Sprint("c", i)
			top.Channels = append(top.Channels, format.Channel{ID: c, Name: fmt.Sprint("link-", i)})
			top.Ends = append(top.Ends, format.End{Process: fmt.Sprint("p", i-1), Channel: c, Dir: format.DirWrite},
				format.End{Process: fmt.Sprint("p", i), Channel: c, Dir: format.DirRead})
		}
	}
	for _, layout := range []string{"dot", render.LayoutLayered} {
		t.Run(layout, func(t *testing.T) {
			svg, _, err := render.Build(top, render.WithLayout(layout), render.WithLiveLabels()).Draw(context.Background())
			require.NoError(t, err)
			frame, parts := splitSVG(svg, 2<<10)
			require.Greater(t, len(parts), 3, "a drawing of 60 processes is cut")
			i := strings.Index(frame, "</g>")
			require.Positive(t, i)
			assert.Equal(t, string(svg), frame[:i]+strings.Join(parts, "")+frame[i:])
			for _, p := range parts {
				wrapped := `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><g>` + p + `</g></svg>`
				var v any
				require.NoError(t, xml.Unmarshal([]byte(wrapped), &v), "part %q", p)
			}
			assert.Equal(t, 1, strings.Count(frame, "<g"), "the frame is the document with an empty group")
		})
	}
}

// An SVG of another shape is not cut.
func TestSplitSVGLeavesOtherShapes(t *testing.T) {
	for _, svg := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"><g>`,
		`not xml <`,
		``,
	} {
		frame, parts := splitSVG([]byte(svg), 1)
		assert.Equal(t, svg, frame)
		assert.Nil(t, parts)
	}
}
