package graphs

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/components"
	"github.com/gocsp/gocsp/graphs/format"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTraceRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	n := New("commstime", WithTrace(&buf)).Add(commsTime(20, nil)...)
	require.NoError(t, n.Run(context.Background()))

	h, evs, err := ReadTrace(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, TraceFormat, h.Format)
	assert.Equal(t, 1, h.Version)
	assert.False(t, h.Start.IsZero())
	assert.Equal(t, n.Topology(), h.Topology)

	starts, ends, reads := map[string]string{}, map[string]string{}, 0
	var last int64
	for _, e := range evs {
		assert.GreaterOrEqual(t, e.T, last, "times never go back")
		last = e.T
		switch e.Ev {
		case "proc.start":
			starts[e.Proc] = e.Name
		case "proc.end":
			ends[e.Proc] = e.State
		case "chan.read":
			if e.Chan == "c4" { // d, the consumer's input: channels are numbered by first appearance
				reads++
			}
		case "proc.block":
			assert.NotEmpty(t, e.Waits)
			assert.Contains(t, []string{"blocked-read", "blocked-write", "alting", "sleeping"}, e.State)
		}
	}
	assert.Equal(t, map[string]string{"p1": "prefix", "p2": "delta", "p3": "succ", "p4": "consume"}, starts)
	assert.Len(t, ends, 4)
	for id, st := range ends {
		assert.Contains(t, []string{"done", "poisoned"}, st, id)
	}
	assert.Equal(t, 20, reads)

	// Writing the events back gives a trace that reads the same.
	var again bytes.Buffer
	enc := json.NewEncoder(&again)
	require.NoError(t, enc.Encode(h))
	for _, e := range evs {
		require.NoError(t, enc.Encode(e))
	}
	h2, evs2, err := ReadTrace(&again)
	require.NoError(t, err)
	assert.Equal(t, h.Topology, h2.Topology)
	assert.True(t, h.Start.Equal(h2.Start))
	assert.Equal(t, evs, evs2)
}

func TestTraceDeadlockAndRunTimeProcesses(t *testing.T) {
	var buf bytes.Buffer
	net := crossNet(true)
	net.cfg.trace = &buf
	require.Error(t, net.Run(context.Background()))
	_, evs, err := ReadTrace(&buf)
	require.NoError(t, err)
	var dl *format.Deadlock
	for _, e := range evs {
		if e.Ev == "deadlock" {
			dl = e.Deadlock
		}
	}
	require.NotNil(t, dl)
	assert.Equal(t, [][]format.Step{{{Process: "p1", Op: "read", Channel: "c1"}, {Process: "p2", Op: "read", Channel: "c2"}}}, dl.Cycles)
	assert.Equal(t, []format.Step{{Process: "p3", Op: "read", Channel: "c3"}}, dl.Waiting)

	// A farm starts its processes and channels at run time: they get new ids, and the trace names
	// each run-time channel the first time it appears.
	buf.Reset()
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	var got []int
	require.NoError(t, New("farm", WithTrace(&buf)).Add(
		components.Generator("gen", []int{1, 2, 3}, in.Writer()),
		components.Farm("farm", 2, func(v int) int { return -v }, in.Reader(), out.Writer()),
		components.Collector("col", out.Reader(), &got),
	).Run(context.Background()))
	_, evs, err = ReadTrace(&buf)
	require.NoError(t, err)
	dyn := map[string]string{}
	named := map[string]string{}
	for _, e := range evs {
		if e.Ev == "proc.start" && strings.HasPrefix(e.Proc, "d") {
			dyn[e.Proc] = e.Name
		}
		if strings.HasPrefix(e.Chan, "dc") && e.Name != "" {
			_, seen := named[e.Chan]
			assert.False(t, seen, "a channel is named once")
			named[e.Chan] = e.Name
		}
	}
	assert.Len(t, dyn, 4, "two workers, the dispatcher and the gatherer")
	assert.Contains(t, named, "dc1")
}

// A header without a topology reads as an empty, valid one (format.NewTraceReader).
func TestReadTraceWithoutTopology(t *testing.T) {
	h, evs, err := ReadTrace(strings.NewReader(`{"format":"gocsp-trace","version":1}`))
	require.NoError(t, err)
	assert.Empty(t, evs)
	require.NotNil(t, h.Topology)
	assert.NoError(t, h.Topology.Validate())
}

func TestReadTraceRejects(t *testing.T) {
	top := `{"format":"gocsp-topology","version":1,"name":"x","processes":[],"channels":[],"ends":[]}`
	for name, tc := range map[string]struct{ in, msg string }{
		"empty":    {"", "empty"},
		"not json": {"hello\n", "line 1"},
		"format":   {`{"format":"other","version":1,"topology":` + top + `}`, `unknown format "other"`},
		"version":  {`{"format":"gocsp-trace","version":2,"topology":` + top + `}`, "version 2 not supported"},
		"no ev":    {`{"format":"gocsp-trace","version":1,"topology":` + top + "}\n{\"t\":1}\n", "line 2: event has no \"ev\""},
		"backwards": {`{"format":"gocsp-trace","version":1,"topology":` + top + "}\n" +
			`{"t":5,"ev":"proc.start"}` + "\n" + `{"t":4,"ev":"proc.end"}`, "line 3: time 4 ns goes back"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := ReadTrace(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}
