package graphs

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
)

func TestTopologyRoundTrip(t *testing.T) {
	n := New("commstime").Add(commsTime(1, nil)...)
	top := n.Topology()
	var buf bytes.Buffer
	require.NoError(t, top.WriteJSON(&buf))
	back, err := ReadTopology(&buf)
	require.NoError(t, err)
	assert.Equal(t, top, back)
	assert.Equal(t, []format.End{
		{Process: "p1", Channel: "c1", Dir: "read", Owned: true},
		{Process: "p1", Channel: "c2", Dir: "write", Owned: true},
	}, top.Ends[:2])
	assert.Equal(t, format.Channel{ID: "c2", Name: "a", Type: "int", Buffer: 0}, top.Channels[1])
	// Components describe their parameters: the ring's Prefix says what it starts with.
	var prefix *format.Process
	for i := range top.Processes {
		if top.Processes[i].Kind == "Prefix" {
			prefix = &top.Processes[i]
		}
	}
	require.NotNil(t, prefix)
	assert.Equal(t, map[string]string{"initial": "0"}, prefix.Attrs)
}

func TestReadTopologyRejects(t *testing.T) {
	const ok = `"processes":[{"id":"p1","name":"a"}],"channels":[{"id":"c1","name":"x","type":"int","buffer":0}]`
	for name, tc := range map[string]struct{ in, msg string }{
		"not json":       {`{`, "reading topology"},
		"unknown format": {`{"format":"gocsp-snapshot","version":1}`, `unknown format "gocsp-snapshot" (want "gocsp-topology")`},
		"no format":      {`{"version":1}`, `unknown format ""`},
		"version 2":      {`{"format":"gocsp-topology","version":2}`, "version 2 not supported: it is newer than version 1"},
		"version 0":      {`{"format":"gocsp-topology","version":0}`, "version 0 not supported"},
		"dangling process": {`{"format":"gocsp-topology","version":1,` + ok +
			`,"ends":[{"process":"p9","channel":"c1","dir":"read"}]}`, `ends[0]: unknown process id "p9"`},
		"dangling channel": {`{"format":"gocsp-topology","version":1,` + ok +
			`,"ends":[{"process":"p1","channel":"c9","dir":"read"}]}`, `ends[0]: unknown channel id "c9"`},
		"bad dir": {`{"format":"gocsp-topology","version":1,` + ok +
			`,"ends":[{"process":"p1","channel":"c1","dir":"both"}]}`, `ends[0]: dir "both"`},
		"duplicate process": {`{"format":"gocsp-topology","version":1,"processes":[{"id":"p1"},{"id":"p1"}]}`,
			`processes[1]: duplicate process id "p1"`},
		"duplicate channel": {`{"format":"gocsp-topology","version":1,"channels":[{"id":"c1"},{"id":"c1"}]}`,
			`channels[1]: duplicate id "c1"`},
		"missing id":      {`{"format":"gocsp-topology","version":1,"processes":[{"name":"x"}]}`, `processes[0] ("x") has no id`},
		"negative buffer": {`{"format":"gocsp-topology","version":1,"channels":[{"id":"c1","buffer":-1}]}`, "negative buffer"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadTopology(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	// Unknown fields are ignored, so that later minor additions stay readable.
	_, err := ReadTopology(strings.NewReader(`{"format":"gocsp-topology","version":1,"future":true,` + ok + `,"ends":[]}`))
	assert.NoError(t, err)
}

func TestTopologyLookupAndClone(t *testing.T) {
	top := &Topology{Format: TopologyFormat, Version: FormatVersion,
		Processes: []format.Process{{ID: "p1", Name: "prefix", Attrs: map[string]string{"initial": "0"}}},
		Channels:  []format.Channel{{ID: "c1", Name: "a", Attrs: map[string]string{"k": "v"}}},
		Ends:      []format.End{{Process: "p1", Channel: "c1", Dir: "write"}}}
	require.NotNil(t, top.Process("p1"))
	assert.Equal(t, "prefix", top.Process("p1").Name)
	assert.Nil(t, top.Process("c1"))
	require.NotNil(t, top.Channel("c1"))
	assert.Equal(t, "a", top.Channel("c1").Name)
	assert.Nil(t, top.Channel("p1"))

	c := top.Clone()
	assert.Equal(t, top, c)
	c.Processes[0].Attrs["initial"] = "1"
	c.Channels[0].Attrs["k"] = "w"
	c.Ends[0].Dir = "read"
	c.Processes = append(c.Processes, format.Process{ID: "p2"})
	assert.Equal(t, "0", top.Processes[0].Attrs["initial"])
	assert.Equal(t, "v", top.Channels[0].Attrs["k"])
	assert.Equal(t, "write", top.Ends[0].Dir)
	assert.Len(t, top.Processes, 1)
}
