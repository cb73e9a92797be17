//go:build e2e

// End-to-end tests of the demos as the demo command runs them: a page opened
// at any moment sees a network at work, and rounds follow one another without
// an ended network in between.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/tools/cspviz/internal/testutil"
)

// runDemoPage runs demo as "cspviz demo" does, round after round, for the
// length of the test, and returns its page's URL.
func runDemoPage(t *testing.T, demo networks.Demo) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.Buffer{}
	done := make(chan error, 1)
	go func() { done <- runNetworkDemo(ctx, demo, roundPause, out) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return testutil.WaitURL(t, out)
}

// pageStateJS is what a person reads off the page: the status line, the
// banner, the result badge, and whether the drawing is greyed as ended.
const pageStateJS = `JSON.stringify({
	status: document.getElementById('status').textContent,
	banner: document.getElementById('banner').hidden ? '' : document.getElementById('banner').textContent,
	result: document.getElementById('result').hidden ? '' : document.getElementById('result').textContent,
	ended: !!document.querySelector('#graph svg.ended'),
	drawn: document.querySelector('#graph svg .proc[class*="state-"]') !== null,
})`

type pageState struct {
	Status, Banner, Result string
	Ended, Drawn           bool
}

func readPage(t *testing.T, b *browser) pageState {
	t.Helper()
	var js string
	// A reload in progress has no document to read: try again.
	for range 20 {
		if err := chromedp.Run(b.ctx, chromedp.Evaluate(pageStateJS, &js)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var s pageState
	require.NoError(t, jsonUnmarshal(js, &s), js)
	return s
}

// TestE2EDemosStartAlive opens each repeating demo as it starts: the first
// state the page shows is a network at work, not one that has already ended.
func TestE2EDemosStartAlive(t *testing.T) {
	t.Parallel()
	for _, d := range networks.Demos() {
		if !d.Repeats {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			page := runDemoPage(t, d)
			b := newBrowser(t)
			b.run(t, chromedp.Navigate(page))
			b.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 20*time.Second)
			s := readPage(t, b)
			assert.True(t, strings.HasPrefix(s.Status, "live · snapshot"), "the page opens on %+v", s)
			assert.False(t, s.Ended, "the page opens on an ended network")
			b.noErrors(t)
		})
	}
}

// TestE2EDemoRoundsFollowOn watches a short repeating demo through two round
// ends: the page never says the network ended, never greys it, and the
// result badge names the round it comes from.
func TestE2EDemoRoundsFollowOn(t *testing.T) {
	t.Parallel()
	demo := networks.Demo{Name: "short-sieve", Repeats: true, New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
		n, res := networks.Sieve(networks.SieveConfig{Primes: 10, OnPrime: func(int) { time.Sleep(100 * time.Millisecond) }}, opts...)
		return n, func() string { return fmt.Sprint(res.Primes) }
	}}
	page := runDemoPage(t, demo)
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 20*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	var s pageState
	for time.Now().Before(deadline) {
		s = readPage(t, b)
		if !s.Drawn { // reloading for the next round
			continue
		}
		require.NotContains(t, s.Status, "ended", "%+v", s)
		require.NotContains(t, s.Status, "stopped", "%+v", s)
		require.NotContains(t, s.Banner, "ended", "%+v", s)
		require.False(t, s.Ended, "the drawing greyed as ended: %+v", s)
		if strings.HasPrefix(s.Result, "round 2: ") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, "round 2: [2 3 5 7 11 13 17 19 23 29]", s.Result, "the badge names its round")
	b.noErrors(t)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
