package format

import (
	"encoding/json"
	"fmt"

	"github.com/gocsp/gocsp/graphs"
)

// The snapshot document's types are graphs', which writes it.
type (
	Snapshot  = graphs.Snapshot
	ProcState = graphs.ProcState
	ProcEnd   = graphs.EndJSON
	Wait      = graphs.WaitJSON
	ChanState = graphs.ChanState
	Deadlock  = graphs.DeadlockState
	WaitFor   = graphs.StepJSON
)

// Process states a snapshot or trace reports. They are csp's State names, which graphs writes;
// TestNamesAreCSPs keeps the two in step.
const (
	StateRunning      = "running"
	StateBlockedRead  = "blocked-read"
	StateBlockedWrite = "blocked-write"
	StateAlting       = "alting"
	StateSleeping     = "sleeping"
	StateDone         = "done"
	StatePoisoned     = "poisoned"
	StateFailed       = "failed"
	StateWaiting      = "waiting"
)

// DecodeSnapshot decodes and checks one snapshot document.
func DecodeSnapshot(data []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decoding snapshot JSON: %w", jsonError(err))
	}
	if err := checkHeader(SnapshotFormat, s.Format, s.Version); err != nil {
		return nil, err
	}
	return &s, nil
}
