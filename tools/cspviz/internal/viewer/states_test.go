package viewer

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
)

// The page colours and names each process state a snapshot can carry: its STATES list names every
// state of format.States (which a test in graphs checks against csp's own names), so a state added
// or renamed there shows here instead of as an unstyled process on the page.
func TestPageKnowsEveryState(t *testing.T) {
	js, err := fs.ReadFile(assets(), "app.js")
	require.NoError(t, err)
	list := regexp.MustCompile(`(?s)const STATES = \[(.*?)\n  \];`).FindSubmatch(js)
	require.NotNil(t, list, "app.js has no `const STATES = [...]` list")
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`\['([a-z-]+)',`).FindAllSubmatch(list[1], -1) {
		known[string(m[1])] = true
	}
	for _, s := range format.States() {
		require.True(t, known[s], "app.js's STATES lacks %q", s)
	}
}
