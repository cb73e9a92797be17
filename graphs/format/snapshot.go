package format

import (
	"encoding/json"
	"fmt"
	"time"
)

// Snapshot is a network's live state at one moment: the "gocsp-snapshot" document.
type Snapshot struct {
	Format    string         `json:"format"`
	Version   int            `json:"version"`
	Seq       int64          `json:"seq"`  // counts the snapshots taken of this network
	Time      time.Time      `json:"time"` // RFC 3339 with nanoseconds, UTC
	Running   bool           `json:"running"`
	Processes []ProcessState `json:"processes"`
	Channels  []ChannelState `json:"channels"`
	Deadlock  *Deadlock      `json:"deadlock"`
}

// ProcessState is one process in a snapshot.
type ProcessState struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"`
	Waits []Wait `json:"waits,omitempty"`
	// Deadline is when a timed wait or a sleep ends by itself (RFC 3339, nanoseconds); empty for a
	// wait only a peer can end.
	Deadline string     `json:"deadline,omitempty"`
	Ends     []OwnedEnd `json:"ends,omitempty"` // ends the topology cannot list: see FORMATS.md
	Error    string     `json:"error"`
}

// OwnedEnd is an end the topology cannot list: one held by a process started at run time, or one
// a process adopted while running.
type OwnedEnd struct {
	Channel string `json:"channel"`
	Dir     string `json:"dir"` // DirRead or DirWrite
}

// Wait is one channel operation a blocked process waits on.
type Wait struct {
	Channel string `json:"channel"`
	Op      string `json:"op"` // DirRead or DirWrite
}

// ChannelState is one channel in a snapshot.
type ChannelState struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Buffer         int    `json:"buffer"`
	Len            int    `json:"len"`
	Messages       uint64 `json:"messages"`
	Readers        int    `json:"readers"`
	Writers        int    `json:"writers"`
	ReadersRetired int    `json:"readersRetired"`
	WritersRetired int    `json:"writersRetired"`
	Poisoned       bool   `json:"poisoned"`
	// Link is the state of the way to a remote channel's home ("up" or "lost"); empty for a
	// channel of this process.
	Link string `json:"link,omitempty"`
}

// Link states of ChannelState.Link.
const (
	LinkUp   = "up"
	LinkLost = "lost"
)

// Deadlock is a deadlock as snapshots and traces carry it.
type Deadlock struct {
	Message string   `json:"message"`
	Cycles  [][]Step `json:"cycles"`
	Waiting []Step   `json:"waiting"`
}

// Step is one step of a wait-for cycle: process waits by op on channel.
type Step struct {
	Process string `json:"process"`
	Op      string `json:"op"`
	Channel string `json:"channel"`
}

// DecodeSnapshot decodes and checks one snapshot document.
func DecodeSnapshot(data []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("reading snapshot JSON: %w", jsonError(err))
	}
	if err := CheckHeader(SnapshotFormat, s.Format, s.Version); err != nil {
		return nil, err
	}
	return &s, nil
}
