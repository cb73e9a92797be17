package format

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gocsp/gocsp/graphs"
)

// The trace's types are graphs', which writes it. ReadTrace always sets the
// header's Topology, to an empty one when the writer left it out.
type (
	TraceHeader = graphs.TraceHeader
	Event       = graphs.TraceEvent
)

// Trace event kinds (the "ev" field). They are csp's EventKind names, which graphs writes;
// TestNamesAreCSPs keeps the two in step.
const (
	EvProcStart   = "proc.start"
	EvProcBlock   = "proc.block"
	EvProcUnblock = "proc.unblock"
	EvProcEnd     = "proc.end"
	EvChanRead    = "chan.read"
	EvChanWrite   = "chan.write"
	EvChanPoison  = "chan.poison"
	EvChanRetire  = "chan.retire"
	EvAltChoice   = "alt.choice"
	EvDeadlock    = "deadlock"
)

// maxLine bounds one trace line. Deadlock events of large networks are the
// longest lines; 16 MiB leaves plenty of room while still refusing a file that
// is not JSON lines at all before it exhausts memory.
const maxLine = 16 << 20

// Trace is a decoded trace: its header and its events in file order.
type Trace struct {
	Header TraceHeader
	Events []Event
}

// ReadTrace reads a JSON-lines trace. Errors name the line they are about.
// Events of kinds this cspviz does not know are kept (the replayer ignores
// them) so that a newer minor writer's traces still replay.
func ReadTrace(r io.Reader) (*Trace, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxLine)
	var tr Trace
	line := 0
	for sc.Scan() {
		line++
		data := bytes.TrimSpace(sc.Bytes())
		if len(data) == 0 {
			if line == 1 {
				return nil, errors.New("line 1: empty; a trace starts with its header line")
			}
			continue
		}
		if err := tr.addLine(line, data); err != nil {
			return nil, err
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return nil, fmt.Errorf("line %d: longer than %d bytes; is this a JSON-lines trace?", line+1, maxLine)
	case err != nil:
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	case line == 0:
		return nil, errors.New("the trace is empty; it must start with a gocsp-trace header line")
	}
	return &tr, nil
}

func (tr *Trace) addLine(line int, data []byte) error {
	if line == 1 {
		if err := json.Unmarshal(data, &tr.Header); err != nil {
			return fmt.Errorf("line 1 (header): %w; a trace is JSON lines and starts with a one-line gocsp-trace header", jsonError(err))
		}
		if err := checkHeader(TraceFormat, tr.Header.Format, tr.Header.Version); err != nil {
			return fmt.Errorf("line 1 (header): %w", err)
		}
		// A writer may leave the topology out, or embed it with or without
		// its own header; a header that is there must be right.
		if tr.Header.Topology == nil {
			tr.Header.Topology = &Topology{Format: TopologyFormat, Version: Version}
		}
		top := *tr.Header.Topology
		if top.Format == "" && top.Version == 0 {
			top.Format, top.Version = TopologyFormat, Version
		}
		if err := ValidateTopology(&top); err != nil {
			return fmt.Errorf("line 1 (header topology): %w", err)
		}
		// Keep what was validated: the original may lack the header that
		// only the copy was given, and callers rely on a valid topology.
		tr.Header.Topology = &top
		return nil
	}
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return fmt.Errorf("line %d: %w", line, jsonError(err))
	}
	if ev.Ev == "" {
		return fmt.Errorf("line %d: event has no \"ev\" field", line)
	}
	if n := len(tr.Events); n > 0 && ev.T < tr.Events[n-1].T {
		return fmt.Errorf("line %d: time %d ns goes back (previous event at %d ns)", line, ev.T, tr.Events[n-1].T)
	}
	if ev.T < 0 {
		return fmt.Errorf("line %d: negative time %d ns", line, ev.T)
	}
	tr.Events = append(tr.Events, ev)
	return nil
}
