package render

import (
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
)

const testdata = "../../testdata"

func fixture(t testing.TB, name string) *format.Topology {
	t.Helper()
	f, err := os.Open(filepath.Join(testdata, name))
	require.NoError(t, err)
	defer f.Close()
	top, err := format.DecodeTopology(f)
	require.NoError(t, err)
	return top
}

var fixtures = []string{"commstime.json", "workers.json", "philosophers.json"}

// svgTexts returns every <text> of an SVG document, unescaped, and checks on
// the way that the document is well-formed XML.
func svgTexts(t *testing.T, svg []byte) []string {
	texts, _ := parseSVG(t, svg)
	return texts
}

// parseSVG returns the texts and the element ids of an SVG document, failing
// the test if it is not well-formed XML.
func parseSVG(t *testing.T, svg []byte) (texts []string, ids map[string]bool) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	ids = map[string]bool{}
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "SVG is not well-formed XML")
		switch tk := tok.(type) {
		case xml.StartElement:
			inText = tk.Name.Local == "text"
			for _, a := range tk.Attr {
				if a.Name.Local == "id" {
					ids[a.Value] = true
				}
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(tk))
			}
		case xml.EndElement:
			inText = false
		}
	}
	return texts, ids
}

func TestSVGNamesEveryProcessAndChannel(t *testing.T) {
	ctx := context.Background()
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			top := fixture(t, name)
			svg, err := Render(ctx, top, "svg")
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(string(svg), "<?xml"), "not an SVG document")
			textList, ids := parseSVG(t, svg)
			texts := strings.Join(textList, "\n")
			for _, p := range top.Processes {
				assert.Contains(t, texts, p.Name, "process %s", p.ID)
				if p.Kind != "" {
					assert.Contains(t, texts, p.Kind)
				}
			}
			for _, c := range top.Channels {
				assert.Contains(t, texts, c.Name, "channel %s", c.ID)
			}
			// Every element the viewer addresses exists in the SVG.
			g := Build(top)
			for _, id := range g.Procs {
				assert.True(t, ids[id], "no element with id %q", id)
			}
			for _, list := range g.Chans {
				for _, id := range list {
					assert.True(t, ids[id], "no element with id %q", id)
				}
			}
		})
	}
}

func TestBufferedAndAnyToAny(t *testing.T) {
	top := fixture(t, "workers.json")
	g := Build(top)
	dot := string(g.DOT)
	// jobs has one writer and three readers: a channel node and four edges.
	assert.Len(t, g.Chans["jobs"], 5)
	assert.Contains(t, dot, `"c:jobs" [id="chan-0", class="chan chan-node"`)
	assert.Contains(t, dot, `label="jobs [8]"`)
	// results has three writers, one reader.
	assert.Len(t, g.Chans["results"], 5)
	// audit is one-to-one: a labelled edge straight between the processes,
	// whose name has a backslash that must survive Graphviz's escapes.
	assert.Equal(t, []string{"chan-2"}, g.Chans["audit"])
	assert.Contains(t, dot, `"p:sink" -> "p:log" [id="chan-2", class="chan", label="audit\\log [2]"`)

	svg, err := SVG(context.Background(), g.DOT)
	require.NoError(t, err)
	texts := svgTexts(t, svg)
	assert.Contains(t, texts, `audit\log [2]`)
	assert.Contains(t, texts, `logger "audit" <&>`)
	assert.Contains(t, texts, "jobs [8]")
}

func TestDOTParsesBack(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			top := fixture(t, name)
			for _, live := range []bool{false, true} {
				var opts []Option
				if live {
					opts = append(opts, WithLiveLabels())
				}
				g := Build(top, opts...)
				nodes, edges, err := ParseDOT(g.DOT)
				require.NoError(t, err)
				wantNodes, wantEdges := len(top.Processes), 0
				for _, ids := range g.Chans {
					if len(ids) == 1 {
						wantEdges++
					} else {
						wantNodes++
						wantEdges += len(ids) - 1
					}
				}
				assert.Len(t, nodes, wantNodes)
				assert.Equal(t, wantEdges, edges)
				for _, p := range top.Processes {
					assert.Contains(t, nodes, "p:"+p.ID)
				}
			}
		})
	}
}

func TestLiveLabelsReserveSpace(t *testing.T) {
	top := fixture(t, "workers.json")
	dot := string(Build(top, WithLiveLabels()).DOT)
	assert.Contains(t, dot, `label="jobs [8]\n888888 msgs · 8/8"`)
	assert.Contains(t, dot, "blocked-write")
	assert.NotContains(t, string(Build(top).DOT), "888888")
}

func TestLayoutEngines(t *testing.T) {
	top := fixture(t, "philosophers.json")
	seen := map[string]string{}
	for _, engine := range []string{"dot", "circo", "neato"} {
		// No fallback on a loaded CI machine: this is about Graphviz's engines.
		svg, err := Render(context.Background(), top, "svg", WithLayout(engine), WithGraphvizTimeout(time.Minute))
		require.NoError(t, err, engine)
		assert.Contains(t, strings.Join(svgTexts(t, svg), " "), "philosopher-4")
		// The engine named in the DOT is the one Graphviz uses: each lays
		// the ring out differently.
		for other, prev := range seen {
			assert.NotEqual(t, prev, string(svg), "%s and %s gave the same layout", engine, other)
		}
		seen[engine] = string(svg)
	}
}

func TestRenderRejects(t *testing.T) {
	_, err := Render(context.Background(), fixture(t, "commstime.json"), "png")
	require.ErrorContains(t, err, `unknown output format "png"`)
	_, err = SVG(context.Background(), []byte("digraph { a -> "))
	require.ErrorContains(t, err, "parsing DOT")
	_, _, err = ParseDOT([]byte("not dot at all {"))
	require.Error(t, err)
}

func TestQuote(t *testing.T) {
	assert.Equal(t, `"a\"b\\c\nd e"`, quote("a\"b\\c\nd\te"))
	assert.Equal(t, "x &lt;&amp;&gt; y", htmlText("x <&>\ny"))
}

// FuzzDOT checks that every valid topology, whatever its names, yields DOT
// that Graphviz parses with one node per process.
func FuzzDOT(f *testing.F) {
	f.Add("net", "p\"1", "prefix\\N", "Kind<b>", "c1", "a\nb", 3)
	f.Add("", "", "", "", "", "", 0)
	f.Add("x}y", "é", "{", "]", "--", "->", 1)
	f.Fuzz(func(t *testing.T, net, pid, pname, kind, cid, cname string, buf int) {
		if buf < 0 {
			buf = -buf
		}
		top := &format.Topology{Format: format.TopologyFormat, Version: 1, Name: net,
			Processes: []format.Process{{ID: pid + "1", Name: pname, Kind: kind}, {ID: pid + "2", Name: pname}},
			Channels:  []format.Channel{{ID: cid + "a", Name: cname, Buffer: buf}, {ID: cid + "b", Name: cname}},
			Ends: []format.End{
				{Process: pid + "1", Channel: cid + "a", Dir: "write"}, {Process: pid + "2", Channel: cid + "a", Dir: "read"},
				{Process: pid + "1", Channel: cid + "b", Dir: "read"},
			}}
		if top.Validate() != nil {
			return
		}
		nodes, _, err := ParseDOT(Build(top, WithLiveLabels()).DOT)
		if err != nil {
			t.Fatalf("DOT does not parse: %v\n%s", err, Build(top).DOT)
		}
		if len(nodes) != 3 {
			t.Fatalf("want 3 nodes, got %q", nodes)
		}
	})
}
