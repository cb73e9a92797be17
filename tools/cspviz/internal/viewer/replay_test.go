package viewer

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/testutil"
)

func readTrace(t *testing.T, name string) *format.Trace {
	t.Helper()
	f, err := os.Open("../../testdata/" + name)
	require.NoError(t, err)
	defer f.Close()
	tr, err := format.ReadTrace(f)
	require.NoError(t, err)
	return tr
}

func procState(s *format.Snapshot, id string) *format.ProcessState {
	for i := range s.Processes {
		if s.Processes[i].ID == id {
			return &s.Processes[i]
		}
	}
	return nil
}

func chanState(s *format.Snapshot, id string) *format.ChannelState {
	for i := range s.Channels {
		if s.Channels[i].ID == id {
			return &s.Channels[i]
		}
	}
	return nil
}

func TestReconstructCommstime(t *testing.T) {
	tr := readTrace(t, "commstime.trace.jsonl")
	model, frames := Reconstruct(tr)
	require.Equal(t, len(tr.Events)+1, frames.Len())

	first := frames.At(0).Snap
	assert.Empty(t, first.Processes, "no process has started before the first event")
	assert.Len(t, first.Channels, 4)
	assert.True(t, first.Running)

	// Find the frame after delta's first block: it waits to read a.
	var blocked *format.Snapshot
	for _, f := range frames.All() {
		if p := procState(f.Snap, "p2"); p != nil && p.State == format.StateBlockedRead {
			blocked = f.Snap
			break
		}
	}
	require.NotNil(t, blocked)
	assert.Equal(t, []format.Wait{{Channel: "c1", Op: "read"}}, procState(blocked, "p2").Waits)

	last := frames.At(frames.Len() - 1).Snap
	assert.False(t, last.Running, "every process has ended")
	assert.Equal(t, uint64(3), chanState(last, "c1").Messages)
	assert.Equal(t, uint64(3), chanState(last, "c4").Messages)
	assert.True(t, chanState(last, "c1").Poisoned)
	assert.Equal(t, 1, chanState(last, "c1").ReadersRetired, "delta holds c1's reader end")
	assert.Equal(t, 1, chanState(last, "c1").Readers)
	assert.Equal(t, format.StatePoisoned, procState(last, "p1").State)
	assert.Equal(t, "consume: boom", procState(last, "p4").Error)
	assert.Equal(t, format.StateFailed, procState(last, "p4").State)

	// A process and channel created at run time join the model, with the
	// ends their events reveal.
	assert.Equal(t, "monitor", procState(last, "p9").Name)
	assert.Equal(t, "stats", chanState(last, "c9").Name)
	top, _ := model.Topology()
	assert.Contains(t, top.Ends, format.End{Process: "p4", Channel: "c9", Dir: "write"})
	assert.Contains(t, top.Ends, format.End{Process: "p9", Channel: "c9", Dir: "read"})

	// Frames are independent copies.
	assert.NotSame(t, &frames.At(1).Snap.Processes[0], &frames.At(2).Snap.Processes[0])
	assert.Equal(t, "start", frames.At(0).Label)
	assert.Contains(t, frames.At(1).Label, "prefix starts")
}

func TestReconstructBuffered(t *testing.T) {
	tr := &format.Trace{Header: format.TraceHeader{Topology: &format.Topology{
		Processes: []format.Process{{ID: "w", Name: "w"}, {ID: "r", Name: "r"}},
		Channels:  []format.Channel{{ID: "c", Name: "c", Buffer: 2}},
	}}, Events: []format.TraceEvent{
		{T: 1, Ev: format.EvChanWrite, Proc: "w", Chan: "c"},
		{T: 2, Ev: format.EvChanWrite, Proc: "w", Chan: "c"},
		{T: 3, Ev: format.EvChanRead, Proc: "r", Chan: "c"},
		{T: 4, Ev: format.EvProcBlock, Proc: "w", Waits: []format.Wait{{Channel: "c", Op: "write"}, {Channel: "c", Op: "read"}}},
	}}
	_, frames := Reconstruct(tr)
	lens := []int{}
	for _, f := range frames.All() {
		lens = append(lens, chanState(f.Snap, "c").Len)
	}
	assert.Equal(t, []int{0, 1, 2, 1, 1}, lens)
	assert.Equal(t, format.StateAlting, procState(frames.At(4).Snap, "w").State)
	assert.Equal(t, 1, chanState(frames.At(4).Snap, "c").Writers)
	// r read c, and w's alternation reveals that w holds a reader end too.
	assert.Equal(t, 2, chanState(frames.At(4).Snap, "c").Readers)
}

func TestReconstructDeadlock(t *testing.T) {
	_, frames := Reconstruct(readTrace(t, "philosophers.trace.jsonl"))
	last := frames.At(frames.Len() - 1).Snap
	require.NotNil(t, last.Deadlock)
	assert.False(t, last.Running)
	assert.Len(t, last.Deadlock.Cycles[0], 10)
	assert.Nil(t, frames.At(frames.Len()-2).Snap.Deadlock)
	assert.Contains(t, frames.At(frames.Len()-1).Label, "deadlock: philosopher-0 writes right-0")
	assert.NotContains(t, frames.At(frames.Len()-1).Label, "deadlock: deadlock")
}

func TestReplayServer(t *testing.T) {
	rp := NewReplay(readTrace(t, "commstime.trace.jsonl"), "commstime.trace.jsonl")
	srv := httptest.NewServer(rp)
	defer srv.Close()

	code, body, _ := testutil.Get(t, srv.URL+"/info")
	require.Equal(t, http.StatusOK, code)
	var info replayInfo
	require.NoError(t, json.Unmarshal([]byte(body), &info))
	assert.Equal(t, "replay", info.Mode)
	assert.Equal(t, rp.Frames().Len(), info.Frames)
	assert.Len(t, info.Labels, info.Frames)

	code, body, _ = testutil.Get(t, srv.URL+"/frame?i=5")
	require.Equal(t, http.StatusOK, code)
	s, err := format.DecodeSnapshot([]byte(body))
	require.NoError(t, err)
	assert.Equal(t, int64(5), s.Seq)
	assert.Len(t, s.Processes, 4)

	for _, bad := range []string{"-1", "x", "100000"} {
		code, _, _ = testutil.Get(t, srv.URL+"/frame?i="+bad)
		assert.Equal(t, http.StatusBadRequest, code, bad)
	}

	// The layout already has the processes created at run time.
	_, body, _ = testutil.Get(t, srv.URL+"/layout")
	assert.Contains(t, body, "monitor")
	assert.Contains(t, body, "stats")
}

// A replay shows a remote channel's link lost from the event on.
func TestReconstructLinkLost(t *testing.T) {
	tr := &format.Trace{Header: format.TraceHeader{Topology: &format.Topology{
		Processes: []format.Process{{ID: "d", Name: "dispatcher"}},
		Channels:  []format.Channel{{ID: "c", Name: "10.0.0.8:7000/jobs", Remote: "10.0.0.8:7000"}},
	}}, Events: []format.TraceEvent{
		{T: 1, Ev: format.EvChanWrite, Proc: "d", Chan: "c"},
		{T: 2, Ev: format.EvChanLinkLost, Proc: "d", Chan: "c"},
	}}
	_, frames := Reconstruct(tr)
	require.Equal(t, 3, frames.Len())
	assert.NotEqual(t, format.LinkLost, chanState(frames.At(1).Snap, "c").Link)
	assert.Equal(t, format.LinkLost, chanState(frames.At(2).Snap, "c").Link)
	assert.Contains(t, frames.At(2).Label, "link to the node of 10.0.0.8:7000/jobs is lost")
}
