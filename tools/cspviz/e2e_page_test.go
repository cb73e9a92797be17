//go:build e2e

// End-to-end tests of the page as a person sees it: it fits the window whatever
// the banner says, shows the processes that appear at run time, and draws a
// distributed network's links and nodes as they are.

package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/graphs/components"
	"github.com/gocsp/gocsp/tools/cspviz/internal/viewer"
)

// outsideJS lists what a person cannot see without scrolling: the page taller
// or wider than the window, and every process box not wholly inside the
// drawing's pane and the window.
const outsideJS = `(() => {
	const out = [];
	const se = document.scrollingElement;
	if (se.scrollHeight > innerHeight + 1) out.push('page ' + se.scrollHeight + 'px tall in a ' + innerHeight + 'px window');
	if (se.scrollWidth > innerWidth + 1) out.push('page ' + se.scrollWidth + 'px wide in a ' + innerWidth + 'px window');
	const pane = document.getElementById('graph').getBoundingClientRect();
	const boxes = document.querySelectorAll('#graph svg .proc');
	if (boxes.length === 0) out.push('no process drawn');
	for (const p of boxes) {
		const r = p.getBoundingClientRect();
		const name = p.querySelector('text') ? p.querySelector('text').textContent : p.id;
		if (r.left < Math.max(0, pane.left) - 1 || r.top < Math.max(0, pane.top) - 1 ||
			r.right > Math.min(innerWidth, pane.right) + 1 || r.bottom > Math.min(innerHeight, pane.bottom) + 1)
			out.push(name + ' at ' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(','));
	}
	return out;
})()`

// assertAllInView waits for every process box to be inside the window (the
// page refits as banners come and go) and reports the stragglers if not.
func assertAllInView(t *testing.T, b *browser, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var out []string
	for {
		b.eval(t, outsideJS, &out)
		if len(out) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	assert.Empty(t, out, "%s: outside the window", what)
}

// TestE2EFitsTheWindow opens every demo, and a replay, and checks that every
// process box lies inside the window, with whatever banner the page shows
// (a deadlock, an ended network), and again after zooming in and pressing f.
func TestE2EFitsTheWindow(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, page, ready string) {
		b := newBrowser(t)
		b.run(t, chromedp.Navigate(page))
		b.waitJS(t, ready, 20*time.Second)
		time.Sleep(500 * time.Millisecond) // a banner or run-time processes may arrive just after
		assertAllInView(t, b, "after load")
		b.run(t, chromedp.KeyEvent("+"), chromedp.KeyEvent("+"), chromedp.KeyEvent("+"))
		b.run(t, chromedp.KeyEvent("f"))
		assertAllInView(t, b, "after f")
		b.noErrors(t)
	}
	ready := `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`
	for _, d := range networks.Demos() {
		want := ready
		if d.Name == "philosophers-deadlock" {
			want = `!document.getElementById('banner').hidden && document.querySelectorAll('#graph svg .deadlock').length > 0`
		}
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			check(t, demoPage(t, d.Name), want)
		})
	}
	t.Run("replay", func(t *testing.T) {
		t.Parallel()
		tr, err := readTraceFile("testdata/philosophers.trace.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(viewer.NewReplay(tr, "philosophers.trace.jsonl"))
		t.Cleanup(srv.Close)
		// The end of the trace: the deadlock's banner is up.
		check(t, srv.URL+"/", `(() => {
			const s = document.getElementById('scrub');
			if (s.value !== s.max) { s.value = s.max; s.dispatchEvent(new Event('input')); return false; }
			return !document.getElementById('banner').hidden;
		})()`)
	})
}

// farmNetwork is a producer, a components.Farm of workers and a consumer: the
// farm starts its dispatcher, workers and gatherer only when it runs.
func farmNetwork(workers int) *graphs.Network {
	jobs := csp.NewChan[int](csp.Named("jobs"))
	results := csp.NewChan[int](csp.Named("results"))
	producer := csp.Proc("producer", func(ctx context.Context) error {
		w := jobs.Writer()
		for i := 0; ; i++ {
			if err := w.WriteContext(ctx, i); err != nil {
				return err
			}
		}
	}, jobs.Writer())
	farm := components.Farm("farm", workers, func(v int) int {
		time.Sleep(20 * time.Millisecond)
		return v * v
	}, jobs.Reader(), results.Writer())
	consumer := csp.Proc("consumer", func(ctx context.Context) error {
		r := results.Reader()
		for {
			if _, err := r.ReadContext(ctx); err != nil {
				return err
			}
		}
	}, results.Reader())
	return graphs.New("farm").Add(producer, farm, consumer)
}

// TestE2ERunTimeProcesses watches a farm whose workers, dispatcher and
// gatherer exist only once it runs: they are in the snapshots, and the page
// draws them, with their states.
func TestE2ERunTimeProcesses(t *testing.T) {
	t.Parallel()
	page := networkPage(t, farmNetwork(4))
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 10*time.Second)
	want := []string{"farm/dispatch", "farm/gather", "farm/worker-0", "farm/worker-3"}
	cond := `(() => { const t = [...document.querySelectorAll('#graph svg .proc[class*="state-"] text')].map(e => e.textContent);
		return ` + "`" + `${JSON.stringify(t)}` + "`" + `; })()`
	deadline := time.Now().Add(10 * time.Second)
	var texts string
	for {
		b.eval(t, cond, &texts)
		missing := 0
		for _, w := range want {
			if !strings.Contains(texts, `"`+w+`"`) {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, w := range want {
		assert.Contains(t, texts, `"`+w+`"`, "%s is drawn with its state", w)
	}
	assertAllInView(t, b, "with the farm's workers")
	b.noErrors(t)
}

// nodesJS lists the processes of a distributed network with the node box
// that holds each, by their boxes on the page.
const nodesJS = `(() => {
	const boxes = [...document.querySelectorAll('#graph svg g.nodebox')].map(g => ({
		name: g.querySelector('text').textContent, r: g.querySelector('path, polygon').getBoundingClientRect() }));
	const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
	const out = {};
	for (const p of document.querySelectorAll('#graph svg .proc')) {
		const r = p.getBoundingClientRect();
		out[p.querySelector('text').textContent] = boxes.filter(b => inside(r, b.r)).map(b => b.name).join('|');
	}
	return out;
})()`

// TestE2ERemoteNodes watches the remote farm (a dispatcher and three workers,
// each on its own node, over loopback TCP) through one round: each node is a
// box holding its process, each remote channel one line from the dispatcher
// into a worker's box, and no link is ever drawn lost, neither while it runs
// nor once the round has ended and closed its nodes; the ended network is
// drawn ended.
func TestE2ERemoteNodes(t *testing.T) {
	t.Parallel()
	page := demoPage(t, "remotefarm")
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 15*time.Second)

	var where map[string]string
	b.eval(t, nodesJS, &where)
	assert.Len(t, where, 4, "the dispatcher and three workers, and no box standing in for a node: %v", where)
	seen := map[string]bool{}
	for proc, box := range where {
		assert.NotEmpty(t, box, "%s is inside its node's box", proc)
		assert.NotContains(t, box, "|", "%s is inside one node's box", proc)
		assert.False(t, seen[box], "%s shares its node box %s", proc, box)
		seen[box] = true
	}
	var edges int
	b.eval(t, `document.querySelectorAll('#graph svg g.edge.chan').length`, &edges)
	assert.Equal(t, 6, edges, "one line for each worker's jobs and results")

	lostJS := `document.querySelectorAll('#graph svg .link-lost').length`
	for !done(t, b) {
		var lost int
		b.eval(t, lostJS, &lost)
		require.Zero(t, lost, "a link drawn lost while the round runs")
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	var lost int
	b.eval(t, lostJS, &lost)
	assert.Zero(t, lost, "links drawn lost after the round ended normally")
	var ended bool
	b.eval(t, `document.querySelector('#graph svg').classList.contains('ended')`, &ended)
	assert.True(t, ended, "the ended network is drawn ended")
	b.noErrors(t)
}

// done says whether the page says its network has ended.
func done(t *testing.T, b *browser) bool {
	var s string
	b.eval(t, `document.getElementById('status').textContent`, &s)
	return strings.Contains(s, "ended") || strings.Contains(s, "stopped")
}

// TestE2EWatchNodesAsBoxes watches two nodes of one distributed network on
// one page (cspviz watch URL URL): each node is a box holding its processes.
func TestE2EWatchNodesAsBoxes(t *testing.T) {
	t.Parallel()
	page := watchTwoNodes(t, 100*time.Millisecond)
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 10*time.Second)
	var where map[string]string
	b.eval(t, nodesJS, &where)
	for proc, box := range where {
		switch {
		case strings.HasSuffix(proc, "@n1"):
			assert.Equal(t, "node n1", box, proc)
		case strings.HasSuffix(proc, "@n2"):
			assert.Equal(t, "node n2", box, proc)
		default:
			t.Errorf("process %q is not marked with its node", proc)
		}
	}
	assert.Contains(t, where, "dispatcher @n2")
	assertAllInView(t, b, "two nodes")
	b.noErrors(t)
}

// TestE2EWatchRunTimeProcessInItsNode watches two nodes on one page, one of
// which starts a process at run time (commstime's monitor): once it appears,
// it is drawn inside its own node's box, like the node's declared processes.
func TestE2EWatchRunTimeProcessInItsNode(t *testing.T) {
	t.Parallel()
	page := watchTwoNodes(t, 50*time.Millisecond)
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `[...document.querySelectorAll('#graph svg .proc[class*="state-"] text')].some(t => t.textContent === 'monitor @n1')`, 15*time.Second)
	var where map[string]string
	b.eval(t, nodesJS, &where)
	assert.Equal(t, "node n1", where["monitor @n1"], "the run-time process is in its node's box: %v", where)
	assert.Equal(t, "node n1", where["prefix @n1"], "%v", where)
	assert.Equal(t, "node n2", where["dispatcher @n2"], "%v", where)
	b.noErrors(t)
}
