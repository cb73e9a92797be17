package format

import (
	"encoding/json"
	"fmt"
)

// Snapshot is the live state of a running network at one moment.
type Snapshot struct {
	Format    string      `json:"format"`
	Version   int         `json:"version"`
	Seq       int64       `json:"seq"`
	Time      string      `json:"time"`
	Running   bool        `json:"running"`
	Processes []ProcState `json:"processes"`
	Channels  []ChanState `json:"channels"`
	Deadlock  *Deadlock   `json:"deadlock"`
}

// Process states a snapshot or trace reports.
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

// States lists every process state, in the order the viewer's legend shows them.
func States() []string {
	return []string{StateRunning, StateBlockedRead, StateBlockedWrite, StateAlting,
		StateSleeping, StateWaiting, StateDone, StatePoisoned, StateFailed}
}

// ProcState is one process in a snapshot.
type ProcState struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	State string    `json:"state"`
	Waits []Wait    `json:"waits,omitempty"`
	Ends  []ProcEnd `json:"ends,omitempty"`
	Error string    `json:"error,omitempty"`
}

// ProcEnd is an end held by a process started at run time: how the viewer connects it.
type ProcEnd struct {
	Channel string `json:"channel"`
	Dir     string `json:"dir"`
}

// Wait is one channel operation a blocked process waits on.
type Wait struct {
	Channel string `json:"channel"`
	Op      string `json:"op"`
}

// ChanState is one channel in a snapshot.
type ChanState struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Buffer         int    `json:"buffer"`
	Len            int    `json:"len"`
	Messages       int64  `json:"messages"`
	Readers        int    `json:"readers"`
	Writers        int    `json:"writers"`
	ReadersRetired int    `json:"readersRetired"`
	WritersRetired int    `json:"writersRetired"`
	Poisoned       bool   `json:"poisoned"`
}

// Deadlock describes why a network deadlocked.
type Deadlock struct {
	Message string      `json:"message"`
	Cycles  [][]WaitFor `json:"cycles"`
	Waiting []WaitFor   `json:"waiting,omitempty"`
}

// WaitFor is one step of a wait-for cycle: process waits by op on channel.
type WaitFor struct {
	Process string `json:"process"`
	Op      string `json:"op"`
	Channel string `json:"channel"`
}

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
