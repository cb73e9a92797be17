package format

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// TraceHeader is the first line of a trace.
type TraceHeader struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Start    time.Time `json:"start"`
	Topology *Topology `json:"topology"`
}

// TraceEvent is one line of a trace after the header.
type TraceEvent struct {
	T        int64     `json:"t"` // nanoseconds since the header's Start
	Ev       string    `json:"ev"`
	Proc     string    `json:"proc,omitempty"`
	Chan     string    `json:"chan,omitempty"`
	Name     string    `json:"name,omitempty"`
	State    string    `json:"state,omitempty"`
	Waits    []Wait    `json:"waits,omitempty"`
	Guard    *int      `json:"guard,omitempty"`
	Error    string    `json:"error,omitempty"`
	Deadlock *Deadlock `json:"deadlock,omitempty"`
}

// MaxTraceLine bounds one trace line. Deadlock events of large networks are the longest lines;
// 16 MiB leaves plenty of room while refusing a file that is not JSON lines before it exhausts
// memory.
const MaxTraceLine = 16 << 20

// TraceReader reads a trace one event at a time, for traces too long to hold in memory.
type TraceReader struct {
	// Header is the trace's header. Its Topology is never nil: a header without one reads as an
	// empty topology, and one without its own format and version gets the trace's.
	Header *TraceHeader
	sc     *bufio.Scanner
	line   int
	last   int64
}

// NewTraceReader reads and checks the header line of a trace. Errors name the line.
func NewTraceReader(r io.Reader) (*TraceReader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxTraceLine)
	tr := &TraceReader{sc: sc}
	if !sc.Scan() {
		if err := tr.scanErr(); err != nil {
			return nil, err
		}
		return nil, errors.New("the trace is empty; it must start with a gocsp-trace header line")
	}
	tr.line = 1
	raw := bytes.TrimSpace(sc.Bytes())
	if len(raw) == 0 {
		return nil, errors.New("line 1: empty; a trace starts with its header line")
	}
	var h TraceHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("line 1 (header): %w; a trace is JSON lines and starts with a one-line gocsp-trace header", jsonError(err))
	}
	if err := CheckHeader(TraceFormat, h.Format, h.Version); err != nil {
		return nil, fmt.Errorf("line 1 (header): %w", err)
	}
	// A writer may leave the topology out, or embed it with or without its own header; a
	// header that is there must be right. What is validated is what is kept.
	top := Topology{Format: TopologyFormat, Version: Version}
	if h.Topology != nil {
		top = *h.Topology
		if top.Format == "" && top.Version == 0 {
			top.Format, top.Version = TopologyFormat, Version
		}
	}
	if err := top.Validate(); err != nil {
		return nil, fmt.Errorf("line 1 (header topology): %w", err)
	}
	h.Topology = &top
	tr.Header = &h
	return tr, nil
}

func (tr *TraceReader) scanErr() error {
	switch err := tr.sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return fmt.Errorf("line %d: longer than %d bytes; is this a JSON-lines trace?", tr.line+1, MaxTraceLine)
	case err != nil:
		return fmt.Errorf("line %d: %w", tr.line+1, err)
	}
	return nil
}

// Next returns the next event, or io.EOF after the last. Blank lines are skipped. Events of kinds
// this package does not know are returned as they are, so that traces of later minor versions
// stay readable; an event without "ev", or whose time is negative or goes back, is an error that
// names its line.
func (tr *TraceReader) Next() (TraceEvent, error) {
	for tr.sc.Scan() {
		tr.line++
		raw := bytes.TrimSpace(tr.sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var ev TraceEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return ev, fmt.Errorf("line %d: %w", tr.line, jsonError(err))
		}
		switch {
		case ev.Ev == "":
			return ev, fmt.Errorf("line %d: event has no \"ev\" field", tr.line)
		case ev.T < 0:
			return ev, fmt.Errorf("line %d: negative time %d ns", tr.line, ev.T)
		case ev.T < tr.last:
			return ev, fmt.Errorf("line %d: time %d ns goes back (previous event at %d ns)", tr.line, ev.T, tr.last)
		}
		tr.last = ev.T
		return ev, nil
	}
	if err := tr.scanErr(); err != nil {
		return TraceEvent{}, err
	}
	return TraceEvent{}, io.EOF
}

// Trace is a whole trace: its header and its events in order.
type Trace struct {
	Header TraceHeader
	Events []TraceEvent
}

// ReadTrace reads a whole trace (see TraceReader).
func ReadTrace(r io.Reader) (*Trace, error) {
	tr, err := NewTraceReader(r)
	if err != nil {
		return nil, err
	}
	out := &Trace{Header: *tr.Header}
	for {
		ev, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out.Events = append(out.Events, ev)
	}
}
