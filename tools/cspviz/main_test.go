package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/tools/cspviz/internal/fakenet"
	"github.com/gocsp/gocsp/tools/cspviz/internal/render"
	"github.com/gocsp/gocsp/tools/cspviz/internal/testutil"
)

func TestMain(m *testing.M) {
	flag.Parse()
	e2eDefaults()
	code := m.Run()
	closeBrowser() // the end-to-end tests' Chromium, if they started it
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestRenderFiles(t *testing.T) {
	dir := t.TempDir()
	for _, fixture := range []string{"commstime.json", "workers.json", "philosophers.json", "commstime.trace.jsonl"} {
		t.Run(fixture, func(t *testing.T) {
			src := filepath.Join("testdata", fixture)
			svgPath := filepath.Join(dir, fixture+".svg")
			dotPath := filepath.Join(dir, fixture+".dot")
			_, _, err := runCmd(t, "render", src, "-o", svgPath)
			require.NoError(t, err)
			_, _, err = runCmd(t, "render", "-o", dotPath, src) // flags either side
			require.NoError(t, err)

			svg, err := os.ReadFile(svgPath)
			require.NoError(t, err)
			assert.True(t, bytes.HasPrefix(svg, []byte("<?xml")), "SVG file starts with %q", svg[:min(20, len(svg))])
			top, err := loadTopology(context.Background(), src)
			require.NoError(t, err)
			texts := svgTexts(t, svg)
			for _, p := range top.Processes {
				assert.Contains(t, texts, p.Name)
			}
			for _, c := range top.Channels {
				assert.Contains(t, strings.Join(texts, "\n"), c.Name)
			}

			dot, err := os.ReadFile(dotPath)
			require.NoError(t, err)
			nodes, _, err := render.ParseDOT(dot)
			require.NoError(t, err, "DOT output parses back")
			assert.GreaterOrEqual(t, len(nodes), len(top.Processes))
		})
	}
}

// svgTexts returns the text of every <text> element of svg, unescaped; Graphviz and the built-in
// layouts escape differently.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	in := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return texts
		}
		require.NoError(t, err, "the SVG is well-formed XML")
		switch tk := tok.(type) {
		case xml.StartElement:
			in = tk.Name.Local == "text"
		case xml.EndElement:
			in = false
		case xml.CharData:
			if in {
				texts = append(texts, string(tk))
			}
		}
	}
}

func TestRenderStdoutAndFormatFlag(t *testing.T) {
	out, _, err := runCmd(t, "render", "testdata/commstime.json", "-format", "dot")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, `digraph "commstime" {`), out)
	out, _, err = runCmd(t, "render", "testdata/commstime.json")
	require.NoError(t, err)
	assert.Contains(t, out, "<svg")
	out, _, err = runCmd(t, "render", "testdata/philosophers.json", "-layout", "circo", "-format", "svg")
	require.NoError(t, err)
	assert.Contains(t, out, "philosopher&#45;3")
}

func TestRenderURL(t *testing.T) {
	net := httptest.NewServer(fakenet.Commstime())
	defer net.Close()
	out, _, err := runCmd(t, "render", net.URL, "-format", "dot")
	require.NoError(t, err)
	assert.Contains(t, out, `label=<prefix<BR/>`)
}

func TestRenderErrors(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"missing file":   {[]string{"render", "testdata/nope.json"}, []string{"testdata/nope.json", "no such file"}},
		"newer version":  {[]string{"render", "testdata/bad-version.json"}, []string{"testdata/bad-version.json", "version 2", "newer"}},
		"bad syntax":     {[]string{"render", "testdata/bad-syntax.json"}, []string{"testdata/bad-syntax.json", "JSON"}},
		"bad ends":       {[]string{"render", "testdata/bad-ends.json"}, []string{"testdata/bad-ends.json", `channel id "nope"`}},
		"wrong format":   {[]string{"render", "testdata/wrong-format.json"}, []string{"wrong-format.json", `"gocsp-snapshot"`}},
		"unknown ext":    {[]string{"render", "testdata/commstime.json", "-o", "x.png"}, []string{`"x.png"`, `".png"`}},
		"unknown format": {[]string{"render", "testdata/commstime.json", "-format", "pdf"}, []string{`unknown format "pdf"`}},
		"unknown layout": {[]string{"render", "testdata/commstime.json", "-layout", "spring"}, []string{`unknown layout "spring"`}},
		"unreachable":    {[]string{"render", deadURL}, []string{"cannot reach the network at " + deadURL + "/topology"}},
		"watch dead":     {[]string{"watch", deadURL, "-for", "1s"}, []string{"cspviz watch", deadURL}},
		"replay missing": {[]string{"replay", "testdata/nope.jsonl"}, []string{"cspviz replay", "nope.jsonl"}},
		"replay topo":    {[]string{"replay", "testdata/commstime.json"}, []string{"commstime.json", "line 1", "one-line gocsp-trace header"}},
		"demo unknown":   {[]string{"demo", "nosuch"}, []string{`no demo "nosuch"`, "philosophers"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runCmd(t, tc.args...)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"render"}, {"render", "a", "b"}, {"watch"}, {"render", "-nope"}} {
		_, stderr, err := runCmd(t, args...)
		assert.ErrorIs(t, err, errUsage, "%q", args)
		assert.Contains(t, stderr, "sage", "%q prints usage", args)
	}
	out, _, err := runCmd(t, "help")
	require.NoError(t, err)
	assert.Contains(t, out, "cspviz replay TRACE.jsonl")
}

// startCmd runs a serving command in the background and returns its URL and
// a channel that yields its error when it returns.
func startCmd(t *testing.T, ctx context.Context, args ...string) (string, <-chan error) {
	t.Helper()
	out := &testutil.Buffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, out, io.Discard) }()
	return testutil.WaitURL(t, out), done
}

func TestWatchForDuration(t *testing.T) {
	net := httptest.NewServer(fakenet.Commstime())
	defer net.Close()
	start := time.Now()
	url, done := startCmd(t, context.Background(), "watch", net.URL, "-for", "700ms")
	_, body, _ := testutil.Get(t, url+"info")
	assert.Contains(t, body, net.URL)
	_, body, _ = testutil.Get(t, url+"snapshot")
	assert.Contains(t, body, `"gocsp-snapshot"`)
	select {
	case err := <-done:
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 700*time.Millisecond)
	case <-time.After(10 * time.Second):
		t.Fatal("watch -for did not end")
	}
}

func TestReplayUntilInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url, done := startCmd(t, ctx, "replay", "testdata/philosophers.trace.jsonl", "-addr", "127.0.0.1:0")
	code, body, _ := testutil.Get(t, url+"info")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"mode":"replay"`)
	code, body, _ = testutil.Get(t, url+"frame?i=31")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"cycles"`)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("replay did not end when interrupted")
	}
}

// A demo whose work is finite runs again, round after round, until stopped, and the page's /info
// says which round it is and what the last one computed.
func TestDemoRepeatsRoundsAndShowsResult(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.Buffer{}
	done := make(chan error, 1)
	demo := networks.Demo{Name: "tiny-sieve", Repeats: true, New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
		n, res := networks.Sieve(networks.SieveConfig{Primes: 3}, opts...)
		return n, func() string { return fmt.Sprint(res.Primes) }
	}}
	go func() { done <- runNetworkDemo(ctx, demo, 20*time.Millisecond, out) }()
	url := testutil.WaitURL(t, out)
	var info struct {
		Run struct {
			Round  int    `json:"round"`
			Result string `json:"result"`
		} `json:"run"`
	}
	require.Eventually(t, func() bool {
		_, body, _ := testutil.Get(t, url+"info")
		return json.Unmarshal([]byte(body), &info) == nil && info.Run.Round >= 3
	}, 20*time.Second, 20*time.Millisecond)
	assert.Equal(t, "[2 3 5]", info.Run.Result)
	_, body, _ := testutil.Get(t, url+"layout")
	assert.Contains(t, body, "filter")
	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "round 1: [2 3 5]")
}

// A demo that does not repeat (the deadlock) stays on its final state until stopped.
func TestDemoThatEndsStaysUntilStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.Buffer{}
	done := make(chan error, 1)
	demo, ok := findDemo(networks.Demos(), "philosophers-deadlock")
	require.True(t, ok)
	go func() { done <- runNetworkDemo(ctx, demo, time.Millisecond, out) }()
	url := testutil.WaitURL(t, out)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "stays on the page") }, 20*time.Second, 10*time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the demo returned before it was stopped: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	_, body, _ := testutil.Get(t, url+"info")
	assert.Contains(t, body, `"round":1`)
	cancel()
	require.NoError(t, <-done)
}

func TestDemoList(t *testing.T) {
	out, _, err := runCmd(t, "demo", "-list")
	require.NoError(t, err)
	for _, name := range []string{"commstime", "sieve", "mcpi", "philosophers", "philosophers-deadlock"} {
		assert.Contains(t, out, name)
	}
}

// demoSnapshot polls the demo page's snapshot until ok accepts it.
func demoSnapshot(t *testing.T, url string, ok func(snap demoSnap) bool) demoSnap {
	t.Helper()
	var snap demoSnap
	require.Eventually(t, func() bool {
		_, body, _ := testutil.Get(t, url+"snapshot")
		snap = demoSnap{}
		return json.Unmarshal([]byte(body), &snap) == nil && ok(snap)
	}, 20*time.Second, 50*time.Millisecond, "the demo's snapshot never showed what was expected")
	return snap
}

type demoSnap struct {
	Processes []struct{ ID, Name, State string } `json:"processes"`
	Channels  []struct {
		Name     string `json:"name"`
		Messages int    `json:"messages"`
	} `json:"channels"`
	Deadlock *struct {
		Message string `json:"message"`
	} `json:"deadlock"`
}

func TestDemoDeadlockShowsTheCycle(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url, done := startCmd(t, ctx, "demo", "deadlock")
	snap := demoSnapshot(t, url, func(s demoSnap) bool { return s.Deadlock != nil })
	for _, name := range []string{"philosopher-0", "fork-0", "left-fork-0", "right-fork-1"} {
		assert.Contains(t, snap.Deadlock.Message, name)
	}
	cancel()
	require.NoError(t, <-done)
}

func TestDemoSieveGrowsWhileWatched(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url, done := startCmd(t, ctx, "demo", "sieve")
	first := demoSnapshot(t, url, func(s demoSnap) bool { return len(s.Processes) > 0 })
	// Filters are spawned at run time: the live view must pick them up, with their messages.
	grown := demoSnapshot(t, url, func(s demoSnap) bool { return len(s.Processes) >= len(first.Processes)+3 })
	total := 0
	for _, c := range grown.Channels {
		total += c.Messages
	}
	assert.Positive(t, total)
	cancel()
	require.NoError(t, <-done)
}

// The usage names every demo there is (and the short names), from the demo list itself.
func TestUsageListsEveryDemo(t *testing.T) {
	u := usage()
	for _, d := range networks.Demos() {
		assert.Contains(t, u, d.Name)
	}
	for short := range demoAliases {
		assert.Contains(t, u, short)
	}
}

// Every demo the repository's README names — "cspviz demo NAME" and its list of other demos — is
// one that cspviz demo runs (a README once named "deadlock" where -list said
// "philosophers-deadlock"; both work now, through the short name).
func TestREADMEDemoNamesExist(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	text := string(b)
	var names []string
	for _, m := range regexp.MustCompile("cspviz demo ([a-z][a-z-]*)").FindAllStringSubmatch(text, -1) {
		names = append(names, m[1])
	}
	_, other, ok := strings.Cut(text, "Other demos:")
	require.True(t, ok, `the README has no "Other demos:" list`)
	other, _, _ = strings.Cut(other, "`-list`")
	for _, m := range regexp.MustCompile("`([a-z][a-z-]*)`").FindAllStringSubmatch(other, -1) {
		names = append(names, m[1])
	}
	require.NotEmpty(t, names)
	for _, name := range names {
		if full, ok := demoAliases[name]; ok {
			name = full
		}
		_, ok := findDemo(networks.Demos(), name)
		assert.True(t, ok, "the README names a demo %q that cspviz demo does not have", name)
	}
}
