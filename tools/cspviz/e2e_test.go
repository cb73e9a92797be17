//go:build e2e

// End-to-end tests: the live and replay pages in a real headless Chromium.
// Run with `go test -tags e2e ./...`; they fail (not skip) without a browser.

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/tools/cspviz/internal/fakenet"
	"github.com/gocsp/gocsp/tools/cspviz/internal/viewer"
)

// findChrome returns the browser to drive: $CSPVIZ_CHROME, else the first of
// the usual names on PATH.
func findChrome(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CSPVIZ_CHROME"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("CSPVIZ_CHROME=%s: %v; install Chromium: apt-get install -y chromium (or point CSPVIZ_CHROME at a Chrome/Chromium binary)", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found for the e2e tests: install Chromium: apt-get install -y chromium (or set CSPVIZ_CHROME to a Chrome/Chromium binary)")
	return ""
}

// chromium is the one headless Chromium the e2e tests share: starting one
// takes seconds, a tab a few milliseconds. Each test opens its own tab
// (newBrowser); TestMain closes the browser after the last test.
var chromium struct {
	once    sync.Once
	ctx     context.Context // the browser's own: tabs are opened from it
	stop    func()
	profile string
	err     error
}

// startChromium starts the shared browser, once.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	chrome := findChrome(t)
	chromium.once.Do(func() {
		// Not t.TempDir: the browser outlives the test that starts it.
		chromium.profile, chromium.err = os.MkdirTemp("", "cspviz-e2e-chromium-")
		if chromium.err != nil {
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(chrome),
			chromedp.Flag("headless", true),
			chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("no-first-run", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			// Tabs side by side are all "in the foreground": none has its
			// timers or frames slowed down for being in the background.
			chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-renderer-backgrounding", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true),
			chromedp.UserDataDir(chromium.profile),
			chromedp.WindowSize(1400, 900),
		}
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		// cdproto lags behind Chromium and logs every event field it does not
		// know; those are noise, anything else is worth seeing.
		quiet := func(format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			if !strings.Contains(msg, "could not unmarshal event") {
				fmt.Fprintln(os.Stderr, "chromedp: "+msg)
			}
		}
		ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(quiet))
		chromium.ctx = ctx
		chromium.stop = func() {
			cancel()
			cancelAlloc()
			os.RemoveAll(chromium.profile)
		}
		chromium.err = chromedp.Run(ctx)
	})
	require.NoError(t, chromium.err, "starting Chromium")
	return chromium.ctx
}

// e2eParallel is how many end-to-end tests run at once by default: they
// mostly wait, on the browser or on a demo's pace, not on the CPU, so more of
// them than there are cores (GOMAXPROCS, go test's default) keep it busy.
const e2eParallel = "4"

// e2eDefaults sets -test.parallel to e2eParallel unless the command line set
// it; TestMain calls it once the flags are parsed.
func e2eDefaults() {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", e2eParallel)
	}
}

// closeBrowser closes the shared browser, if a test started it.
func closeBrowser() {
	if chromium.stop != nil {
		chromium.stop()
	}
}

// browser is a tab of the shared headless Chromium that records console
// errors and uncaught exceptions.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

// newBrowser opens a tab for the test, closed when the test ends.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	ctx, cancelTab := chromedp.NewContext(startChromium(t))
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
	})

	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.errors = append(b.errors, "exception: "+ev.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.errors = append(b.errors, "console.error: "+strings.Join(parts, " "))
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError {
				b.errors = append(b.errors, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		}
	})
	require.NoError(t, chromedp.Run(ctx, log.Enable()), "opening a tab")
	return b
}

func (b *browser) noErrors(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	assert.Empty(t, b.errors, "the page logged errors")
}

func (b *browser) run(t *testing.T, actions ...chromedp.Action) {
	t.Helper()
	require.NoError(t, chromedp.Run(b.ctx, actions...))
}

// eval evaluates a JavaScript expression in the page.
func (b *browser) eval(t *testing.T, expr string, out any) {
	t.Helper()
	require.NoError(t, chromedp.Run(b.ctx, chromedp.Evaluate(expr, out)), expr)
}

// waitJS polls a JavaScript condition until it holds.
func (b *browser) waitJS(t *testing.T, cond string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	require.NoError(t, chromedp.Run(ctx, chromedp.Poll(cond, nil, chromedp.WithPollingInterval(50*time.Millisecond))),
		"waiting for %s", cond)
}

// watchServer serves a live viewer of net and returns the page's URL.
func watchServer(t *testing.T, net http.Handler) string {
	t.Helper()
	upstream := httptest.NewServer(net)
	t.Cleanup(upstream.Close)
	return watchURL(t, upstream.URL)
}

// watchMerged serves the nodes at urls as one network and a live viewer of
// it, as "cspviz watch URL URL..." does, and returns the page's URL.
func watchMerged(t *testing.T, urls ...string) string {
	t.Helper()
	m := newMerged(urls)
	upstream := httptest.NewServer(m)
	t.Cleanup(upstream.Close)
	return watchURL(t, upstream.URL, m.viewerOptions()...)
}

// watchTwoNodes serves two nodes of one distributed network, fakenet's
// commstime (n1) and dispatcher (n2) each taking a step every interval, and a
// live viewer of both, as "cspviz watch URL URL" does; it returns the page's
// URL.
func watchTwoNodes(t *testing.T, interval time.Duration) string {
	t.Helper()
	a := httptest.NewServer(fakenet.Commstime(fakenet.WithInterval(interval)))
	t.Cleanup(a.Close)
	c := httptest.NewServer(fakenet.Dispatcher(fakenet.WithInterval(interval)))
	t.Cleanup(c.Close)
	return watchMerged(t, a.URL, c.URL)
}

// watchURL serves a live viewer of the network at base.
func watchURL(t *testing.T, base string, opts ...viewer.Option) string {
	t.Helper()
	live, err := viewer.NewLive(context.Background(), base, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(live)
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// layoutIDs fetches the page's layout: the SVG ids of processes and channels.
func layoutIDs(t *testing.T, page string) (procs map[string]string, chans map[string][]string, labels map[string]string) {
	t.Helper()
	resp, err := http.Get(page + "layout")
	require.NoError(t, err)
	defer resp.Body.Close()
	var doc struct {
		Procs      map[string]string   `json:"procs"`
		Chans      map[string][]string `json:"chans"`
		ChanLabels map[string]string   `json:"chanLabels"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	return doc.Procs, doc.Chans, doc.ChanLabels
}

const svgTextsJS = `[...document.querySelectorAll('#graph svg text')].map(t => t.textContent)`

func lastTextJS(svgID string) string {
	return fmt.Sprintf(`(() => { const t = document.getElementById(%q).querySelectorAll('text'); return t[t.length-1].textContent })()`, svgID)
}

var countRE = regexp.MustCompile(`^([\d,]+) msgs?`)

func parseCount(t *testing.T, label string) int {
	t.Helper()
	m := countRE.FindStringSubmatch(label)
	require.NotNil(t, m, "channel label %q has no message count", label)
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	require.NoError(t, err)
	return n
}

func TestE2ELive(t *testing.T) {
	t.Parallel()
	// Servers first: cleanups run last-in first-out, and the browser must go
	// before the servers, whose Close waits for open event streams.
	page := watchServer(t, fakenet.Commstime(fakenet.WithInterval(100*time.Millisecond)))
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 10*time.Second)

	var texts []string
	b.eval(t, svgTextsJS, &texts)
	for _, name := range []string{"prefix", "delta", "succ", "consume"} {
		assert.Contains(t, texts, name)
	}

	// Channel a's count grows as snapshots arrive.
	_, _, labels := layoutIDs(t, page)
	var first, later string
	b.eval(t, lastTextJS(labels["c1"]), &first)
	n0 := parseCount(t, first)
	b.waitJS(t, fmt.Sprintf(`%s !== %q`, lastTextJS(labels["c1"]), first), 5*time.Second)
	b.eval(t, lastTextJS(labels["c1"]), &later)
	assert.Greater(t, parseCount(t, later), n0, "count went from %q to %q", first, later)

	// The monitor and its stats channel appear only in snapshots; the page
	// adds them.
	b.waitJS(t, `[...document.querySelectorAll('#graph svg text')].some(t => t.textContent === 'monitor')`, 5*time.Second)
	b.waitJS(t, `[...document.querySelectorAll('#graph svg text')].some(t => t.textContent === 'stats')`, 5*time.Second)

	// Clicking a process shows its details.
	procs, _, _ := layoutIDs(t, page)
	b.eval(t, fmt.Sprintf(`document.getElementById(%q).dispatchEvent(new MouseEvent('click', {bubbles: true}))`, procs["p2"]), nil)
	var details string
	b.eval(t, `document.getElementById('details').textContent`, &details)
	assert.Contains(t, details, "Process delta")
	assert.Contains(t, details, "Delta")

	// The legend names every state.
	var legend string
	b.eval(t, `document.getElementById('legend').textContent`, &legend)
	for _, s := range []string{"running", "blocked reading", "blocked writing", "failed", "poisoned"} {
		assert.Contains(t, legend, s)
	}
	b.noErrors(t)
}

// A remote channel leads to a box for its node, and turns red when the link to that node is lost.
func TestE2ERemoteLinkLost(t *testing.T) {
	t.Parallel()
	page := watchServer(t, fakenet.Dispatcher(fakenet.WithInterval(100*time.Millisecond)))
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 10*time.Second)
	var texts []string
	b.eval(t, svgTextsJS, &texts)
	assert.Contains(t, texts, "node 10.0.0.7:7000")
	assert.Contains(t, texts, "node 10.0.0.8:7000")
	_, chans, _ := layoutIDs(t, page)
	lost := func(id string) string {
		return fmt.Sprintf(`document.getElementById(%q).classList.contains('link-lost')`, chans[id][0])
	}
	b.waitJS(t, lost("c3"), 10*time.Second)
	var other bool
	b.eval(t, lost("c1"), &other)
	assert.False(t, other, "the link to the other node is up")
	var colour string
	b.eval(t, fmt.Sprintf(`getComputedStyle(document.querySelector('#%s path')).stroke`, chans["c3"][0]), &colour)
	assert.Equal(t, "rgb(208, 0, 0)", colour, "a lost link is drawn red")
	b.noErrors(t)
}

// Two nodes of one distributed network on one page (cspviz watch URL URL): both nodes' processes,
// marked with their node, and the remote channels' node boxes, live.
func TestE2EWatchSeveralNodes(t *testing.T) {
	t.Parallel()
	page := watchTwoNodes(t, 100*time.Millisecond)
	br := newBrowser(t)
	br.run(t, chromedp.Navigate(page))
	br.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 10*time.Second)
	var texts []string
	br.eval(t, svgTextsJS, &texts)
	for _, want := range []string{"prefix @n1", "consume @n1", "dispatcher @n2", "node 10.0.0.8:7000"} {
		assert.Contains(t, texts, want)
	}
	_, chans, _ := layoutIDs(t, page)
	br.waitJS(t, fmt.Sprintf(`document.getElementById(%q).classList.contains('link-lost')`, chans["n2.c3"][0]), 10*time.Second)
	br.noErrors(t)
}

func TestE2EDeadlock(t *testing.T) {
	t.Parallel()
	page := watchServer(t, fakenet.Philosophers(5, fakenet.WithEndAfter(3)))
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelectorAll('#graph svg .deadlock').length > 0`, 10*time.Second)
	b.waitJS(t, `document.getElementById('status').textContent.includes('ended')`, 10*time.Second)

	procs, chans, _ := layoutIDs(t, page)
	for i := range 5 {
		for _, id := range []string{fmt.Sprintf("phil%d", i), fmt.Sprintf("fork%d", i)} {
			var has bool
			b.eval(t, fmt.Sprintf(`document.getElementById(%q).classList.contains('deadlock')`, procs[id]), &has)
			assert.True(t, has, "process %s is highlighted", id)
		}
		for _, id := range []string{fmt.Sprintf("right%d", i), fmt.Sprintf("left%d", i)} {
			var has bool
			b.eval(t, fmt.Sprintf(`document.getElementById(%q).classList.contains('deadlock')`, chans[id][0]), &has)
			assert.True(t, has, "channel %s is highlighted", id)
		}
	}
	var banner string
	b.eval(t, `document.getElementById('banner').textContent`, &banner)
	assert.True(t, strings.HasPrefix(banner, "Deadlock: philosopher-0"), "banner %q", banner)
	assert.Contains(t, banner, "philosopher-0 writes right-0")
	// The highlight is visible: the stroke really is red and thick.
	var stroke string
	b.eval(t, fmt.Sprintf(`getComputedStyle(document.getElementById(%q).querySelector('path')).strokeWidth`, procs["phil0"]), &stroke)
	assert.Equal(t, "3.5px", stroke)
	b.noErrors(t)
}

// demoPage runs the named demo network for real (graphs, csp) for the length of
// the test and returns the URL of a live page watching it.
func demoPage(t *testing.T, name string) string {
	t.Helper()
	demo, ok := findDemo(networks.Demos(), name)
	require.True(t, ok, "no demo %q", name)
	n, _ := demo.New()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = n.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-ran
	})
	return watchServer(t, n.Handler())
}

// TestE2ERealDeadlock watches the real butler-less philosophers: the graphs
// package's deadlock detection, its snapshot stream and the page together.
func TestE2ERealDeadlock(t *testing.T) {
	t.Parallel()
	page := demoPage(t, "philosophers-deadlock")
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelectorAll('#graph svg .deadlock').length > 0`, 15*time.Second)
	b.waitJS(t, `document.querySelector('#graph svg.drawn') !== null`, 10*time.Second)
	procs, _, _ := layoutIDs(t, page)
	highlighted := 0
	for _, svgID := range procs {
		var has bool
		b.eval(t, fmt.Sprintf(`document.getElementById(%q).classList.contains('deadlock')`, svgID), &has)
		if has {
			highlighted++
		}
	}
	assert.Equal(t, 10, highlighted, "the five philosophers and five forks are in the cycle")
	var banner string
	b.eval(t, `document.getElementById('banner').textContent`, &banner)
	assert.Contains(t, banner, "philosopher-")
	assert.Contains(t, banner, "fork-")

	// The monitor poisons the cycle to end the network; after that the cycle still reads as the
	// deadlock it was: its processes say deadlocked, its channels are solid red, not poison's dashes.
	b.waitJS(t, `document.getElementById('status').textContent.includes('ended')`, 15*time.Second)
	_, chans, _ := layoutIDs(t, page)
	for id, svgID := range procs {
		var has bool
		b.eval(t, fmt.Sprintf(`document.getElementById(%q).classList.contains('deadlock')`, svgID), &has)
		if !has {
			continue
		}
		var state string
		b.eval(t, lastTextJS(svgID), &state)
		assert.Equal(t, "deadlocked", state, "process %s", id)
	}
	red := 0
	for id, sids := range chans {
		var cls, dash, stroke string
		b.eval(t, fmt.Sprintf(`document.getElementById(%q).getAttribute('class')`, sids[0]), &cls)
		if !strings.Contains(cls, "deadlock") {
			continue
		}
		red++
		b.eval(t, fmt.Sprintf(`getComputedStyle(document.getElementById(%q).querySelector('path')).strokeDasharray`, sids[0]), &dash)
		b.eval(t, fmt.Sprintf(`getComputedStyle(document.getElementById(%q).querySelector('path')).stroke`, sids[0]), &stroke)
		assert.Equal(t, "none", dash, "channel %s (%s)", id, cls)
		assert.Equal(t, "rgb(212, 0, 0)", stroke, "channel %s", id)
	}
	assert.Equal(t, 10, red, "the cycle's ten channels stay red")
	b.noErrors(t)
}

// TestE2ERealCounts watches the real commstime ring: its message counts move.
func TestE2ERealCounts(t *testing.T) {
	t.Parallel()
	page := demoPage(t, "commstime")
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 15*time.Second)
	_, _, labels := layoutIDs(t, page)
	require.NotEmpty(t, labels)
	var id, first, later string
	for _, v := range labels {
		id = v
		break
	}
	b.eval(t, lastTextJS(id), &first)
	n0 := parseCount(t, first)
	b.waitJS(t, fmt.Sprintf(`%s !== %q`, lastTextJS(id), first), 10*time.Second)
	b.eval(t, lastTextJS(id), &later)
	assert.Greater(t, parseCount(t, later), n0, "count went from %q to %q", first, later)
	b.noErrors(t)
}

func TestE2EReplay(t *testing.T) {
	t.Parallel()
	tr, err := readTraceFile("testdata/philosophers.trace.jsonl")
	require.NoError(t, err)
	srv := httptest.NewServer(viewer.NewReplay(tr, "philosophers.trace.jsonl"))
	t.Cleanup(srv.Close)
	b := newBrowser(t)
	last := len(tr.Events)

	b.run(t, chromedp.Navigate(srv.URL+"/"))
	b.waitJS(t, `document.getElementById('position').textContent.startsWith('event 0 of')`, 10*time.Second)
	b.run(t, chromedp.Click("#step", chromedp.ByID))
	b.waitJS(t, `document.getElementById('position').textContent.startsWith('event 1 of')`, 5*time.Second)
	var pos string
	b.eval(t, `document.getElementById('position').textContent`, &pos)
	assert.Contains(t, pos, "philosopher-0 starts")

	// Play at full speed to the end: the deadlock shows up.
	b.run(t, chromedp.SetValue("#speed", "1000", chromedp.ByID),
		chromedp.Evaluate(`document.getElementById('speed').dispatchEvent(new Event('change'))`, nil),
		chromedp.Click("#play", chromedp.ByID))
	b.waitJS(t, fmt.Sprintf(`document.getElementById('position').textContent.startsWith('event %d of')`, last), 10*time.Second)
	b.waitJS(t, `document.querySelectorAll('#graph svg .deadlock').length >= 20`, 5*time.Second)
	b.noErrors(t)
}

// screenshotDir is where TestScreenshots writes; by default a temporary
// directory, so that a plain e2e run does not touch the repository. To
// regenerate the committed screenshots:
//
//	go test -tags e2e -run TestScreenshots . -screenshots ../../docs/screenshots
var screenshotDir = flag.String("screenshots", "", "directory to write the screenshots to (default: a temporary directory)")

func TestScreenshots(t *testing.T) {
	dir := *screenshotDir
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	shoot := func(t *testing.T, page, file, ready string) {
		b := newBrowser(t)
		var png []byte
		b.run(t, chromedp.Navigate(page))
		b.waitJS(t, ready, 15*time.Second)
		time.Sleep(300 * time.Millisecond) // let counts move and the page settle
		b.run(t, chromedp.FullScreenshot(&png, 100))
		require.NoError(t, os.WriteFile(filepath.Join(dir, file), png, 0o644))
		b.noErrors(t)
		t.Logf("wrote %s", filepath.Join(dir, file))
	}
	// The live view of each demo, running for real in this process.
	ready := `document.querySelector('#graph .proc[class*="state-"]') !== null`
	for _, tc := range []struct{ demo, file, ready string }{
		{"commstime", "live-commstime.png", ready},
		{"sieve", "live-sieve.png", `document.querySelectorAll('#graph svg .proc').length >= 7`},
		{"mcpi", "live-mcpi.png", ready},
		{"remotefarm", "live-remotefarm.png", ready},
		{"mandelbrot", "live-mandelbrot.png", ready},
		{"gpupipeline", "live-gpupipeline.png", ready},
		{"philosophers", "live-philosophers.png", ready},
		{"philosophers-deadlock", "deadlock-philosophers.png", `document.querySelectorAll('#graph svg .deadlock').length > 0`},
	} {
		t.Run(tc.demo, func(t *testing.T) {
			t.Parallel()
			shoot(t, demoPage(t, tc.demo), tc.file, tc.ready)
		})
	}
	t.Run("sieve-100", func(t *testing.T) {
		t.Parallel()
		hold := make(chan struct{})
		count := 0
		n, res := networks.Sieve(networks.SieveConfig{Primes: 101, OnPrime: func(int) {
			if count++; count == 100 {
				<-hold
			}
		}})
		page := networkPage(t, n)
		t.Cleanup(func() { close(hold) })
		require.Eventually(t, func() bool { return res.Filters() >= 100 }, 30*time.Second, 10*time.Millisecond)
		shoot(t, page, "live-sieve-100.png", `document.querySelectorAll('#graph svg .proc[class*="state-"]').length >= 102`)
	})
	t.Run("farm-64", func(t *testing.T) {
		t.Parallel()
		n, _ := networks.MCPi(networks.MCPiConfig{Workers: 64, Jobs: 100_000, Samples: 1000, Pace: 2 * time.Millisecond})
		shoot(t, networkPage(t, n), "live-farm-64.png", `document.querySelectorAll('#graph svg .proc[class*="state-"]').length >= 66`)
	})
	t.Run("two-nodes", func(t *testing.T) {
		t.Parallel()
		shoot(t, watchTwoNodes(t, 100*time.Millisecond), "watch-two-nodes.png", ready)
	})
	t.Run("replay", func(t *testing.T) {
		t.Parallel()
		tr, err := readTraceFile("testdata/commstime.trace.jsonl")
		require.NoError(t, err)
		srv := httptest.NewServer(viewer.NewReplay(tr, "testdata/commstime.trace.jsonl"))
		t.Cleanup(srv.Close)
		// Part-way through, with one process failed and one poisoned.
		shoot(t, srv.URL+"/", "replay-commstime.png", `(() => {
			const s = document.getElementById('scrub');
			if (s.value !== '60') { s.value = '60'; s.dispatchEvent(new Event('input')); return false; }
			return document.getElementById('position').textContent.startsWith('event 60 of');
		})()`)
	})
}

func TestE2ENetworkGone(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(fakenet.Commstime())
	t.Cleanup(upstream.Close)
	page := watchURL(t, upstream.URL)
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.getElementById('status').textContent.startsWith('live')`, 10*time.Second)
	// The status comes before the drawing's last part: the network goes once the page has shown it.
	b.waitJS(t, `document.querySelector('#graph svg.drawn') !== null`, 10*time.Second)

	upstream.CloseClientConnections()
	upstream.Close()
	// The page says the network is gone and keeps the last real snapshot: real counts, never the
	// layout's sample values.
	b.waitJS(t, `document.getElementById('status').textContent.includes('network gone')`, 10*time.Second)
	b.waitJS(t, `document.getElementById('banner').textContent.includes('Showing its last snapshot')`, 10*time.Second)
	var texts []string
	b.eval(t, svgTextsJS, &texts)
	assert.Contains(t, texts, "prefix")
	for _, tx := range texts {
		assert.NotContains(t, tx, "888888", "a sample value shown as data")
	}
	_, _, labels := layoutIDs(t, page)
	var label string
	b.eval(t, lastTextJS(labels["c1"]), &label)
	parseCount(t, label)

	// A page opened after the network went gets that same last snapshot.
	b2 := newBrowser(t)
	b2.run(t, chromedp.Navigate(page))
	b2.waitJS(t, `document.getElementById('status').textContent.includes('network gone')`, 10*time.Second)
	// The status may come before the drawing does.
	b2.waitJS(t, `document.querySelector('#graph svg.drawn') !== null`, 10*time.Second)
	var label2 string
	b2.eval(t, lastTextJS(labels["c1"]), &label2)
	assert.Equal(t, label, label2)
}

// networkPage runs n for the length of the test and returns the URL of a live page watching it.
func networkPage(t *testing.T, n *graphs.Network) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = n.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-ran
	})
	return watchServer(t, n.Handler())
}

// fitsJS says whether the whole drawing lies inside the graph pane.
const fitsJS = `(() => {
	const pane = document.getElementById('graph').getBoundingClientRect();
	const g = document.querySelector('#graph svg > g').getBoundingClientRect();
	return g.width > 0 && g.left >= pane.left - 1 && g.right <= pane.right + 1 && g.top >= pane.top - 1 && g.bottom <= pane.bottom + 1;
})()`

// viewWidthJS is the width of the part of the drawing on show.
const viewWidthJS = `document.querySelector('#graph svg').viewBox.baseVal.width`

// TestE2ESieveAfter100Filters watches the real sieve once a hundred filters have spawned (the
// printer holds the hundredth prime): every filter is on the page, the drawing fits the window,
// and the view zooms with the keyboard and the wheel and fits again on 'f'.
func TestE2ESieveAfter100Filters(t *testing.T) {
	hold := make(chan struct{})
	count := 0
	n, res := networks.Sieve(networks.SieveConfig{Primes: 101, OnPrime: func(int) {
		if count++; count == 100 {
			<-hold
		}
	}})
	page := networkPage(t, n)
	// Registered after networkPage's, so run before it: the network cannot end while held.
	t.Cleanup(func() { close(hold) })
	require.Eventually(t, func() bool { return res.Filters() >= 100 }, 30*time.Second, 10*time.Millisecond)

	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelectorAll('#graph svg .proc[class*="state-"]').length >= 102`, 20*time.Second)
	b.waitJS(t, fitsJS, 5*time.Second)
	var texts []string
	b.eval(t, svgTextsJS, &texts)
	assert.Contains(t, texts, "filter-100")
	assert.Contains(t, texts, "printer")

	var w0, w1, w2 float64
	b.eval(t, viewWidthJS, &w0)
	b.run(t, chromedp.KeyEvent("+"))
	b.eval(t, viewWidthJS, &w1)
	assert.Less(t, w1, w0, "+ zooms in")
	b.eval(t, `(() => { const r = document.getElementById('graph').getBoundingClientRect();
		document.getElementById('graph').dispatchEvent(new WheelEvent('wheel', {deltaY: -500, clientX: r.left + 100, clientY: r.top + 100, bubbles: true, cancelable: true})); return true })()`, nil)
	// The wheel moves the drawing at once, and its viewBox once the wheel rests.
	b.waitJS(t, fmt.Sprintf(`%s < %v`, viewWidthJS, w1), 5*time.Second)
	b.eval(t, viewWidthJS, &w2)
	assert.Less(t, w2, w1, "the wheel zooms in")
	var fits bool
	b.eval(t, fitsJS, &fits)
	assert.False(t, fits, "zoomed in, the drawing no longer fits")
	b.run(t, chromedp.KeyEvent("f"))
	b.waitJS(t, fitsJS, 5*time.Second)
	b.noErrors(t)
}

// TestE2EFarmOf64Workers watches a real farm of 64 workers: all are drawn, fitted to the window,
// and their states are shown.
func TestE2EFarmOf64Workers(t *testing.T) {
	n, _ := networks.MCPi(networks.MCPiConfig{Workers: 64, Jobs: 100_000, Samples: 1000, Pace: 2 * time.Millisecond})
	page := networkPage(t, n)
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelectorAll('#graph svg .proc[class*="state-"]').length >= 66`, 20*time.Second)
	b.waitJS(t, fitsJS, 5*time.Second)
	var states []string
	b.eval(t, `[...document.querySelectorAll('#graph svg .proc')].map(e => { const t = e.querySelectorAll('text'); return t[t.length-1].textContent })`, &states)
	assert.GreaterOrEqual(t, len(states), 66)
	for _, s := range states {
		assert.NotEmpty(t, s, "every process shows its state")
		assert.NotEqual(t, "not started", s)
	}
	b.noErrors(t)
}
