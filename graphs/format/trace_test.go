package format

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadTraceFixture(t *testing.T) {
	tr, err := ReadTrace(openFixture(t, "commstime.trace.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, "commstime", tr.Header.Topology.Name)
	assert.Len(t, tr.Header.Topology.Processes, 4)
	require.Len(t, tr.Events, 62)
	assert.Equal(t, EvProcStart, tr.Events[0].Ev)
	assert.Equal(t, "prefix", tr.Events[0].Name)
	for i := 1; i < len(tr.Events); i++ {
		assert.LessOrEqual(t, tr.Events[i-1].T, tr.Events[i].T)
	}
}

const hdr = `{"format":"gocsp-trace","version":1,"start":"2026-11-21T10:00:00Z","topology":{"format":"gocsp-topology","version":1,"name":"n","processes":[{"id":"p1","name":"a"}],"channels":[],"ends":[]}}`

func TestReadTraceRejects(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"empty":         {"", "empty"},
		"blank first":   {"\n" + hdr, "line 1"},
		"not json":      {"hello\n", "line 1"},
		"wrong format":  {`{"format":"gocsp-topology","version":1}`, `unknown format "gocsp-topology" (want "gocsp-trace")`},
		"newer":         {`{"format":"gocsp-trace","version":9,"topology":{}}`, "version 9"},
		"bad topology":  {`{"format":"gocsp-trace","version":1,"topology":{"ends":[{"process":"x","channel":"y","dir":"read"}]}}`, "header topology"},
		"newer topo":    {`{"format":"gocsp-trace","version":1,"topology":{"format":"gocsp-topology","version":2}}`, "version 2"},
		"time back":     {hdr + "\n" + `{"t":5,"ev":"proc.start","proc":"p1"}` + "\n" + `{"t":4,"ev":"proc.end","proc":"p1"}`, "line 3"},
		"no ev":         {hdr + "\n" + `{"t":5}`, `line 2: event has no "ev"`},
		"bad event":     {hdr + "\n" + `{"t":"x","ev":"proc.start"}`, "line 2"},
		"negative time": {hdr + "\n" + `{"t":-1,"ev":"proc.start"}`, "negative"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadTrace(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReadTraceTolerates(t *testing.T) {
	// No trailing newline, blank lines between events, CRLF and an event kind
	// from a newer minor version are all fine.
	in := hdr + "\r\n\n" + `{"t":1,"ev":"proc.start","proc":"p1","name":"a"}` + "\r\n" + `{"t":2,"ev":"future.thing"}`
	tr, err := ReadTrace(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, tr.Events, 2)
	assert.Equal(t, "future.thing", tr.Events[1].Ev)
}

func TestReadTraceLongLine(t *testing.T) {
	long := `{"t":1,"ev":"proc.start","proc":"p1","name":"` + strings.Repeat("x", 100_000) + `"}`
	tr, err := ReadTrace(strings.NewReader(hdr + "\n" + long + "\n"))
	require.NoError(t, err)
	assert.Len(t, tr.Events[0].Name, 100_000)
}

func TestReadTraceHeaderTopology(t *testing.T) {
	// Another writer may leave the topology out, or embed it without its own
	// format and version; either way the header carries a topology to draw.
	tr, err := ReadTrace(strings.NewReader(`{"format":"gocsp-trace","version":1}`))
	require.NoError(t, err)
	require.NotNil(t, tr.Header.Topology)
	assert.Empty(t, tr.Header.Topology.Processes)

	tr, err = ReadTrace(strings.NewReader(`{"format":"gocsp-trace","version":1,"topology":{"processes":[{"id":"p1"}]}}`))
	require.NoError(t, err)
	assert.Equal(t, "p1", tr.Header.Topology.Processes[0].ID)
}

// A header whose topology leaves out its own format and version (as `"topology":{}` does) is read
// as the trace's version of the topology format; what comes back must be that completed, valid
// topology, not the header-less original that only a defaulted copy of it passed validation as.
// FuzzReadTrace found this; its seed is testdata/fuzz/FuzzReadTrace/empty-topology.
func TestReadTraceKeepsTheDefaultedTopology(t *testing.T) {
	for _, in := range []string{
		`{"format":"gocsp-trace","version":1,"topology":{}}`,
		`{"format":"gocsp-trace","version":1}`,
		`{"format":"gocsp-trace","version":1,"topology":{"processes":[{"id":"p"}]}}`,
	} {
		tr, err := ReadTrace(strings.NewReader(in))
		require.NoError(t, err, in)
		require.NotNil(t, tr.Header.Topology, in)
		assert.Equal(t, TopologyFormat, tr.Header.Topology.Format, in)
		assert.Equal(t, Version, tr.Header.Topology.Version, in)
		assert.NoError(t, tr.Header.Topology.Validate(), in)
	}
}
