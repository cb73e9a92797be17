package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// Topology is a network's static structure: its processes, its channels, and which process owns
// which end of which channel. Its JSON form is the "gocsp-topology" document of docs/FORMATS.md.
type Topology struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	Processes []Process `json:"processes"`
	Channels  []Channel `json:"channels"`
	Ends      []End     `json:"ends"`
}

// Process is one process of a topology.
type Process struct {
	ID    string            `json:"id"`
	Name  string            `json:"name"`
	Kind  string            `json:"kind,omitempty"`
	Attrs map[string]string `json:"attrs,omitempty"`
}

// Channel is one channel of a topology.
type Channel struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Type   string            `json:"type"`
	Buffer int               `json:"buffer"`
	Attrs  map[string]string `json:"attrs,omitempty"`
	// Remote names where a remote channel lives (its home node's address, host:port); empty for a
	// channel of this process. Its ends in this topology are the local ones; the others are there.
	Remote string `json:"remote,omitempty"`
}

// End says that a process holds an end of a channel.
type End struct {
	Process string `json:"process"`
	Channel string `json:"channel"`
	Dir     string `json:"dir"` // "read" or "write"
	Owned   bool   `json:"owned"`
}

// WriteJSON writes the topology as indented JSON.
func (t *Topology) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

// Process returns the process with the given id, or nil. The pointer is into t.Processes.
func (t *Topology) Process(id string) *Process {
	for i := range t.Processes {
		if t.Processes[i].ID == id {
			return &t.Processes[i]
		}
	}
	return nil
}

// Channel returns the channel with the given id, or nil. The pointer is into t.Channels.
func (t *Topology) Channel(id string) *Channel {
	for i := range t.Channels {
		if t.Channels[i].ID == id {
			return &t.Channels[i]
		}
	}
	return nil
}

// Clone returns a copy of t that shares nothing with it: changing, or appending to, its slices
// and attrs leaves t as it was.
func (t *Topology) Clone() *Topology {
	c := *t
	c.Processes = slices.Clone(t.Processes)
	for i := range c.Processes {
		c.Processes[i].Attrs = maps.Clone(c.Processes[i].Attrs)
	}
	c.Channels = slices.Clone(t.Channels)
	for i := range c.Channels {
		c.Channels[i].Attrs = maps.Clone(c.Channels[i].Attrs)
	}
	c.Ends = slices.Clone(t.Ends)
	return &c
}

// DecodeTopology reads one topology document from r and validates it.
func DecodeTopology(r io.Reader) (*Topology, error) {
	var t Topology
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return nil, fmt.Errorf("reading topology JSON: %w", jsonError(err))
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate checks the header (CheckHeader) and that every id is non-empty and unique and every
// end names a process and a channel of the document with a known direction.
func (t *Topology) Validate() error {
	if err := CheckHeader(TopologyFormat, t.Format, t.Version); err != nil {
		return err
	}
	var errs []error
	procs := make(map[string]bool, len(t.Processes))
	for i, p := range t.Processes {
		switch {
		case p.ID == "":
			errs = append(errs, fmt.Errorf("processes[%d] (%q) has no id", i, p.Name))
		case procs[p.ID]:
			errs = append(errs, fmt.Errorf("processes[%d]: duplicate process id %q", i, p.ID))
		}
		procs[p.ID] = true
	}
	chans := make(map[string]bool, len(t.Channels))
	for i, c := range t.Channels {
		switch {
		case c.ID == "":
			errs = append(errs, fmt.Errorf("channels[%d] (%q) has no id", i, c.Name))
		case chans[c.ID] || procs[c.ID]:
			errs = append(errs, fmt.Errorf("channels[%d]: duplicate id %q", i, c.ID))
		case c.Buffer < 0:
			errs = append(errs, fmt.Errorf("channels[%d] (%q): negative buffer %d", i, c.ID, c.Buffer))
		}
		chans[c.ID] = true
	}
	for i, e := range t.Ends {
		if !procs[e.Process] {
			errs = append(errs, fmt.Errorf("ends[%d]: unknown process id %q", i, e.Process))
		}
		if !chans[e.Channel] {
			errs = append(errs, fmt.Errorf("ends[%d]: unknown channel id %q", i, e.Channel))
		}
		if e.Dir != "read" && e.Dir != "write" {
			errs = append(errs, fmt.Errorf("ends[%d]: dir %q is neither \"read\" nor \"write\"", i, e.Dir))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid topology: %w", errors.Join(errs...))
	}
	return nil
}
