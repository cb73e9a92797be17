package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Topology is the static shape of a network: its processes, its channels and
// which process holds which end of which channel.
type Topology struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	Processes []Process `json:"processes"`
	Channels  []Channel `json:"channels"`
	Ends      []End     `json:"ends"`
}

// Process describes one process of a topology.
type Process struct {
	ID    string         `json:"id"`
	Name  string         `json:"name"`
	Kind  string         `json:"kind,omitempty"`
	Attrs map[string]any `json:"attrs,omitempty"`
}

// Channel describes one channel of a topology.
type Channel struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	Type   string         `json:"type,omitempty"`
	Buffer int            `json:"buffer"`
	Attrs  map[string]any `json:"attrs,omitempty"`
}

// Directions of an End.
const (
	DirRead  = "read"
	DirWrite = "write"
)

// End says that a process holds a reader or writer end of a channel.
type End struct {
	Process string `json:"process"`
	Channel string `json:"channel"`
	Dir     string `json:"dir"`
	Owned   bool   `json:"owned"`
}

// DecodeTopology reads one topology document from r and validates it.
func DecodeTopology(r io.Reader) (*Topology, error) {
	var t Topology
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return nil, fmt.Errorf("decoding topology JSON: %w", jsonError(err))
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate checks the header and that every id is non-empty and unique and
// every end names a process and a channel of the document with a known
// direction.
func (t *Topology) Validate() error {
	if err := checkHeader(TopologyFormat, t.Format, t.Version); err != nil {
		return err
	}
	return t.validateBody()
}

// validateBody checks everything but the header; the trace header embeds a
// topology whose own header the writer may have left out.
func (t *Topology) validateBody() error {
	procs := make(map[string]bool, len(t.Processes))
	for i, p := range t.Processes {
		if p.ID == "" {
			return fmt.Errorf("processes[%d] (%q) has no id", i, p.Name)
		}
		if procs[p.ID] {
			return fmt.Errorf("processes[%d]: process id %q is used twice", i, p.ID)
		}
		procs[p.ID] = true
	}
	chans := make(map[string]bool, len(t.Channels))
	for i, c := range t.Channels {
		if c.ID == "" {
			return fmt.Errorf("channels[%d] (%q) has no id", i, c.Name)
		}
		if chans[c.ID] {
			return fmt.Errorf("channels[%d]: channel id %q is used twice", i, c.ID)
		}
		if c.Buffer < 0 {
			return fmt.Errorf("channels[%d] (%q): negative buffer %d", i, c.ID, c.Buffer)
		}
		chans[c.ID] = true
	}
	for i, e := range t.Ends {
		if !procs[e.Process] {
			return fmt.Errorf("ends[%d]: process %q is not in the topology", i, e.Process)
		}
		if !chans[e.Channel] {
			return fmt.Errorf("ends[%d]: channel %q is not in the topology", i, e.Channel)
		}
		if e.Dir != DirRead && e.Dir != DirWrite {
			return fmt.Errorf("ends[%d]: dir %q is neither %q nor %q", i, e.Dir, DirRead, DirWrite)
		}
	}
	return nil
}

// Process returns the process with the given id, or nil.
func (t *Topology) Process(id string) *Process {
	for i := range t.Processes {
		if t.Processes[i].ID == id {
			return &t.Processes[i]
		}
	}
	return nil
}

// Channel returns the channel with the given id, or nil.
func (t *Topology) Channel(id string) *Channel {
	for i := range t.Channels {
		if t.Channels[i].ID == id {
			return &t.Channels[i]
		}
	}
	return nil
}

// Clone returns a deep enough copy of t that appending to or changing its
// slices does not affect t (attrs maps are shared; nothing mutates them).
func (t *Topology) Clone() *Topology {
	c := *t
	c.Processes = append([]Process(nil), t.Processes...)
	c.Channels = append([]Channel(nil), t.Channels...)
	c.Ends = append([]End(nil), t.Ends...)
	return &c
}

// jsonError makes encoding/json's errors say where in the input they are.
func jsonError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("at byte %d: %w", syn.Offset, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("field %q at byte %d: %w", typ.Field, typ.Offset, err)
	}
	if errors.Is(err, io.EOF) {
		return errors.New("the input is empty")
	}
	return err
}
