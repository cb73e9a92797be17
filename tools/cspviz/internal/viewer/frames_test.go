package viewer

import (
	"fmt"
	"reflect"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
)

// bigTrace is a trace of procs processes, each with a channel to the next, that start and then
// move values, block and unblock for events events in all.
func bigTrace(procs, events int) *format.Trace {
	top := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: "big"}
	for i := range procs {
		top.Processes = append(top.Processes, format.Process{ID: fmt.Sprint("p", i), Name: fmt.Sprint("proc-", i)})
		top.Channels = append(top.Channels, format.Channel{ID: fmt.Sprint("c", i), Name: fmt.Sprint("chan-", i), Buffer: i % 3})
	}
	tr := &format.Trace{Header: format.TraceHeader{Format: format.TraceFormat, Version: format.Version, Topology: top}}
	for i := range events {
		p, c := fmt.Sprint("p", i%procs), fmt.Sprint("c", (i/procs)%procs)
		ev := format.TraceEvent{T: int64(i) * 1000, Proc: p}
		switch {
		case i < procs:
			ev.Ev, ev.Name = format.EvProcStart, fmt.Sprint("proc-", i)
		case i%4 == 0:
			ev.Ev, ev.Chan = format.EvChanWrite, c
		case i%4 == 1:
			ev.Ev, ev.Chan = format.EvChanRead, c
		case i%4 == 2:
			ev.Ev, ev.Waits = format.EvProcBlock, []format.Wait{{Channel: c, Op: format.DirRead}}
		default:
			ev.Ev = format.EvProcUnblock
		}
		tr.Events = append(tr.Events, ev)
	}
	return tr
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Replay memory grows with the trace, not with events × processes: a trace of 200 processes
// and 100,000 events (a state per event would be about 2 GB) costs a few MB more than the trace
// itself, and every frame rebuilt from a keyframe equals the one a straight replay reaches.
func TestFramesMemoryGrowsWithTheTrace(t *testing.T) {
	const procs, events = 200, 100_000
	tr := bigTrace(procs, events)
	before := heapInUse()
	_, frames := Reconstruct(tr)
	grown := heapInUse() - before
	runtime.KeepAlive(frames)
	t.Logf("reconstructing %d events of %d processes kept %.1f MB", events, procs, float64(grown)/(1<<20))
	assert.Less(t, grown, uint64(64<<20), "replay state must not hold a snapshot per event")
	require.Equal(t, events+1, frames.Len())

	check := map[int]bool{0: true, 1: true, keyframeEvery - 1: true, keyframeEvery: true, keyframeEvery + 1: true, events: true}
	for i := 3; i < events; i += 7919 {
		check[i] = true
	}
	// A straight replay from the start, compared where it matters.
	r := frames.keys[0].clone()
	for i := range frames.Len() {
		if i > 0 {
			r.apply(tr.Events[i-1])
		}
		if check[i] {
			assert.True(t, reflect.DeepEqual(frames.frame(r, i), frames.At(i)), "frame %d rebuilt from its keyframe differs", i)
		}
	}
	last := frames.At(events).Snap
	assert.Len(t, last.Processes, procs)
	assert.Len(t, last.Channels, procs)
}
