package graphs

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/gocsp/gocsp/graphs/format"
	"io"
	"sync"
	"time"

	"github.com/gocsp/gocsp/csp"
	"go.uber.org/zap"
)

// TraceHeader is the first line of a trace (format.TraceHeader).
type TraceHeader = format.TraceHeader

// TraceEvent is one line of a trace after the header (format.TraceEvent).
type TraceEvent = format.TraceEvent

// tracer turns a monitor's events into trace lines. The monitor calls it from many goroutines,
// some holding a channel's lock, so it only formats and appends to a buffer under its own mutex:
// the buffer reaches the writer in 64 KiB blocks, and a slow writer slows the network only then.
type tracer struct {
	n   *Network
	log *zap.Logger

	mu     sync.Mutex
	w      *bufio.Writer
	start  time.Time
	last   int64
	named  map[csp.Channel]bool // run-time channels whose name the trace has given
	failed bool
}

func (t *tracer) header(top *Topology, start time.Time) {
	t.start = start
	t.named = make(map[csp.Channel]bool)
	t.write(TraceHeader{Format: TraceFormat, Version: FormatVersion, Start: start.UTC(), Topology: top})
}

// write appends one JSON line; called with t.mu held (or before the network starts).
func (t *tracer) write(v any) {
	if t.failed {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		b = append(b, '\n')
		_, err = t.w.Write(b)
	}
	if err != nil {
		t.failed = true
		t.log.Error("trace stopped", zap.Error(err))
	}
}

func (t *tracer) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.failed {
		if err := t.w.Flush(); err != nil {
			t.failed = true
			t.log.Error("trace stopped", zap.Error(err))
		}
	}
}

// Trace implements csp.Tracer.
func (t *tracer) Trace(e csp.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed {
		return
	}
	// The time is taken under the mutex, so that lines are in time order even though events race
	// to get here.
	now := time.Since(t.start).Nanoseconds()
	now = max(now, t.last)
	t.last = now
	ev := TraceEvent{T: now, Ev: e.Kind.String()}
	t.n.mu.Lock()
	if e.Process.ID != 0 {
		ev.Proc = t.n.procIDLocked(e.Process)
		if e.Channel == nil {
			// Process events carry the process's name; channel events use "name" for the channel.
			ev.Name = e.Process.Name
		}
	}
	if e.Channel != nil {
		id := t.n.chanIDLocked(e.Channel, false)
		ev.Chan = id
		if id[0] == 'd' && !t.named[e.Channel] { // a run-time channel, not yet named
			t.named[e.Channel] = true
			ev.Name = e.Channel.Name()
		}
	}
	for _, w := range e.Waits {
		ev.Waits = append(ev.Waits, format.Wait{Channel: t.n.chanIDLocked(w.Channel, false), Op: w.Op.String()})
	}
	if e.Kind == csp.EventDeadlock && e.Deadlock != nil {
		ev.Deadlock = t.n.deadlockStateLocked(t.n.deadlockLocked(e.Deadlock))
	}
	t.n.mu.Unlock()
	switch e.Kind {
	case csp.EventBlock, csp.EventUnblock, csp.EventEnd:
		ev.State = e.State.String()
	case csp.EventChoice:
		g := e.Guard
		ev.Guard = &g
	}
	if e.Err != nil {
		ev.Error = e.Err.Error()
	}
	t.write(ev)
}

// TraceReader reads a trace one event at a time, for traces too long to hold in memory
// (format.TraceReader).
type TraceReader = format.TraceReader

// NewTraceReader reads and checks the header line of a trace (format.NewTraceReader).
func NewTraceReader(r io.Reader) (*TraceReader, error) {
	tr, err := format.NewTraceReader(r)
	if err != nil {
		return nil, fmt.Errorf("graphs: reading trace: %w", err)
	}
	return tr, nil
}

// ReadTrace reads a whole trace: its header and its events in order.
func ReadTrace(r io.Reader) (*TraceHeader, []TraceEvent, error) {
	t, err := format.ReadTrace(r)
	if err != nil {
		return nil, nil, fmt.Errorf("graphs: reading trace: %w", err)
	}
	return &t.Header, t.Events, nil
}
