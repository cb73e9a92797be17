package graphs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gocsp/gocsp/csp"
	"go.uber.org/zap"
)

// TraceHeader is the first line of a trace.
type TraceHeader struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Start    time.Time `json:"start"`
	Topology *Topology `json:"topology"`
}

// TraceEvent is one line of a trace after the header (docs/FORMATS.md).
type TraceEvent struct {
	T        int64          `json:"t"` // nanoseconds since the header's Start
	Ev       string         `json:"ev"`
	Proc     string         `json:"proc,omitempty"`
	Chan     string         `json:"chan,omitempty"`
	Name     string         `json:"name,omitempty"`
	State    string         `json:"state,omitempty"`
	Waits    []WaitJSON     `json:"waits,omitempty"`
	Guard    *int           `json:"guard,omitempty"`
	Error    string         `json:"error,omitempty"`
	Deadlock *DeadlockState `json:"deadlock,omitempty"`
}

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
		ev.Waits = append(ev.Waits, WaitJSON{Channel: t.n.chanIDLocked(w.Channel, false), Op: w.Op.String()})
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

// TraceReader reads a trace one event at a time, for traces too long to hold in memory.
type TraceReader struct {
	Header *TraceHeader
	sc     *bufio.Scanner
	line   int
	last   int64
}

// maxTraceLine bounds one line; deadlock events of large networks are the longest.
const maxTraceLine = 16 << 20

// NewTraceReader reads and checks the header line of a trace.
func NewTraceReader(r io.Reader) (*TraceReader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxTraceLine)
	tr := &TraceReader{sc: sc}
	raw, err := tr.nextLine()
	if err == io.EOF {
		return nil, errors.New("graphs: reading trace: empty; a trace starts with a gocsp-trace header line")
	}
	if err != nil {
		return nil, err
	}
	var h TraceHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("graphs: trace line 1 (header): %w", err)
	}
	if err := checkHeader(TraceFormat, h.Format, h.Version); err != nil {
		return nil, fmt.Errorf("trace line 1 (header): %w", err)
	}
	if h.Topology == nil {
		return nil, errors.New("graphs: trace line 1 (header): no topology")
	}
	if err := h.Topology.Validate(); err != nil {
		return nil, fmt.Errorf("trace line 1 (header topology): %w", err)
	}
	tr.Header = &h
	return tr, nil
}

func (tr *TraceReader) nextLine() ([]byte, error) {
	for tr.sc.Scan() {
		tr.line++
		if b := bytes.TrimSpace(tr.sc.Bytes()); len(b) > 0 {
			return b, nil
		}
	}
	if err := tr.sc.Err(); err != nil {
		return nil, fmt.Errorf("graphs: reading trace after line %d: %w", tr.line, err)
	}
	return nil, io.EOF
}

// Next returns the next event, or io.EOF after the last. Events of kinds this package does not know
// are returned as they are, so that traces of later minor versions stay readable; an event without
// "ev", or whose time goes backwards, is an error that names its line.
func (tr *TraceReader) Next() (TraceEvent, error) {
	raw, err := tr.nextLine()
	if err != nil {
		return TraceEvent{}, err
	}
	var ev TraceEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return ev, fmt.Errorf("graphs: trace line %d: %w", tr.line, err)
	}
	switch {
	case ev.Ev == "":
		return ev, fmt.Errorf("graphs: trace line %d: no \"ev\"", tr.line)
	case ev.T < tr.last:
		return ev, fmt.Errorf("graphs: trace line %d: time %d before the previous event's %d", tr.line, ev.T, tr.last)
	}
	tr.last = ev.T
	return ev, nil
}

// ReadTrace reads a whole trace: its header and its events in order.
func ReadTrace(r io.Reader) (*TraceHeader, []TraceEvent, error) {
	tr, err := NewTraceReader(r)
	if err != nil {
		return nil, nil, err
	}
	var evs []TraceEvent
	for {
		ev, err := tr.Next()
		if err == io.EOF {
			return tr.Header, evs, nil
		}
		if err != nil {
			return nil, nil, err
		}
		evs = append(evs, ev)
	}
}
