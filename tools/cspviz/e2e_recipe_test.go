//go:build e2e

package main

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2EWatchRecipe follows the README's recipe: run the sieve with
// -n 100 -debug ADDR -linger 1m, then, a while later (a person typing, cspviz
// compiling), watch it. The page sees the sieve at work and growing, not only
// its final snapshot.
func TestE2EWatchRecipe(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "sieve")
	build := exec.Command("go", "build", "-o", bin, "./examples/sieve")
	build.Dir = "../.."
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the sieve: %s", out)

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-n", "100", "-debug", "127.0.0.1:0", "-linger", "1m")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	require.True(t, sc.Scan(), "the sieve printed nothing")
	m := regexp.MustCompile(`^debug: serving sieve at (http://\S+/) `).FindStringSubmatch(sc.Text())
	require.NotNil(t, m, "first line %q", sc.Text())
	go func() { // drain what else it prints
		for sc.Scan() {
		}
	}()
	time.Sleep(2 * time.Second)

	page := watchURL(t, m[1])
	b := newBrowser(t)
	b.run(t, chromedp.Navigate(page))
	b.waitJS(t, `document.querySelector('#graph svg.drawn .proc[class*="state-"]') !== null`, 20*time.Second)
	b.waitJS(t, `document.getElementById('status').textContent.startsWith('live')`, 10*time.Second)
	// The chain grows on the page: filters appear as they are spawned, each
	// new layout built out of sight (svg.building) and then shown.
	shown := `document.querySelectorAll('#graph svg:not(.building) .proc').length`
	var first int
	b.eval(t, shown, &first)
	b.waitJS(t, shown+` >= `+strconv.Itoa(first+5), 20*time.Second)
	var status string
	b.eval(t, `document.getElementById('status').textContent`, &status)
	assert.True(t, strings.HasPrefix(status, "live"), "the page shows %q while the sieve grows", status)
	b.noErrors(t)
}
