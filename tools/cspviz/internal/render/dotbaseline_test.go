package render

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
)

// Graphviz's dot is the quality table's baseline, but it takes seconds on a
// sieve of 50 filters and far longer on larger ones, uninterruptibly. So the
// test lays out with dot only the topologies it finishes quickly (dotQuick);
// for the others it reads dot's drawing as recorded in testdata/dot, made by
//
//	CSPVIZ_DOT_BASELINE=update CSPVIZ_DOT_LIMIT=20m go test -timeout 0 -run TestLayoutQuality ./tools/cspviz/internal/render
//
// which lays each one out in a child process it can stop at the limit
// (CSPVIZ_DOT_ONLY=regexp records only the topologies it matches). The
// drawing, not its figures, is recorded, so that the figures always come from
// the measure the test uses now. A topology dot did not finish has a .txt
// file instead, saying how long it was given.

// dotChildEnv names the topology a child process lays out with dot.
const dotChildEnv = "CSPVIZ_DOT_CHILD"

func dotBaselineFile(name, ext string) string {
	return filepath.Join("testdata", "dot", name+ext)
}

// recordedDot returns dot's recorded drawing of the named topology, or why
// there is none.
func recordedDot(name string) ([]byte, string) {
	f, err := os.Open(dotBaselineFile(name, ".svg.gz"))
	if err != nil {
		if why, err := os.ReadFile(dotBaselineFile(name, ".txt")); err == nil {
			return nil, string(bytes.TrimSpace(why))
		}
		return nil, "not recorded"
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err.Error()
	}
	svg, err := io.ReadAll(zr)
	if err != nil {
		return nil, err.Error()
	}
	return svg, ""
}

// recordDot lays top out with dot in a child process, stopped after limit,
// and records the drawing (or that it did not finish).
func recordDot(t *testing.T, top *format.Topology, limit time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	out := filepath.Join(t.TempDir(), "dot.svg")
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDotChild$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), dotChildEnv+"="+top.Name, "CSPVIZ_DOT_OUT="+out)
	start := time.Now()
	msg, err := cmd.CombinedOutput()
	took := time.Since(start).Round(time.Second)
	_ = os.Remove(dotBaselineFile(top.Name, ".txt"))
	_ = os.Remove(dotBaselineFile(top.Name, ".svg.gz"))
	if ctx.Err() != nil {
		t.Logf("%s: dot did not finish in %v", top.Name, limit)
		require.NoError(t, os.WriteFile(dotBaselineFile(top.Name, ".txt"), []byte(fmt.Sprintf("dot did not finish in %v\n", limit)), 0o644))
		return
	}
	require.NoError(t, err, "%s", msg)
	svg, err := os.ReadFile(out)
	require.NoError(t, err)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, err = zw.Write(svg)
	require.NoError(t, errors.Join(err, zw.Close()))
	require.NoError(t, os.WriteFile(dotBaselineFile(top.Name, ".svg.gz"), buf.Bytes(), 0o644))
	t.Logf("%s: dot took %v", top.Name, took)
}

// TestDotChild is the child process of recordDot; it does nothing otherwise.
func TestDotChild(t *testing.T) {
	name := os.Getenv(dotChildEnv)
	if name == "" {
		t.Skip("only a child process of the quality test's baseline recording")
	}
	for _, top := range qualityTopologies() {
		if top.Name == name {
			svg, err := SVG(context.Background(), Build(top, WithLiveLabels(), WithLayout("dot")).DOT)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(os.Getenv("CSPVIZ_DOT_OUT"), svg, 0o644))
			return
		}
	}
	t.Fatalf("no topology %q", name)
}
