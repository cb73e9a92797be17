package graphs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// Format names and the version this package writes and reads (docs/FORMATS.md).
const (
	TopologyFormat = "gocsp-topology"
	SnapshotFormat = "gocsp-snapshot"
	TraceFormat    = "gocsp-trace"
	FormatVersion  = 1
)

// Topology is a network's static structure: its processes, its channels, and which process owns
// which end of which channel. Its JSON form is the "gocsp-topology" document of docs/FORMATS.md.
type Topology struct {
	Format    string        `json:"format"`
	Version   int           `json:"version"`
	Name      string        `json:"name"`
	Processes []TopoProcess `json:"processes"`
	Channels  []TopoChannel `json:"channels"`
	Ends      []TopoEnd     `json:"ends"`
}

// TopoProcess is one process of a topology.
type TopoProcess struct {
	ID    string            `json:"id"`
	Name  string            `json:"name"`
	Kind  string            `json:"kind,omitempty"`
	Attrs map[string]string `json:"attrs,omitempty"`
}

// TopoChannel is one channel of a topology.
type TopoChannel struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Type   string            `json:"type"`
	Buffer int               `json:"buffer"`
	Attrs  map[string]string `json:"attrs,omitempty"`
}

// TopoEnd says that a process holds an end of a channel.
type TopoEnd struct {
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
func (t *Topology) Process(id string) *TopoProcess {
	for i := range t.Processes {
		if t.Processes[i].ID == id {
			return &t.Processes[i]
		}
	}
	return nil
}

// Channel returns the channel with the given id, or nil. The pointer is into t.Channels.
func (t *Topology) Channel(id string) *TopoChannel {
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

// ReadTopology reads and checks a topology document. It rejects, with an error that says what is
// wrong, a document that is not JSON, another format, a version it does not support, a missing or
// duplicate id, an end that names an unknown process or channel, and a dir other than read/write.
// Unknown fields are ignored (later minor additions stay readable).
func ReadTopology(r io.Reader) (*Topology, error) {
	var t Topology
	dec := json.NewDecoder(r)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("graphs: reading topology: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate checks the topology as ReadTopology does.
func (t *Topology) Validate() error {
	if err := checkHeader(TopologyFormat, t.Format, t.Version); err != nil {
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
		return fmt.Errorf("graphs: invalid topology: %w", errors.Join(errs...))
	}
	return nil
}

// checkHeader rejects an unknown format or a newer version, naming both as FORMATS.md asks.
func checkHeader(want, format string, version int) error {
	if format != want {
		return fmt.Errorf("graphs: unknown format %q (want %q)", format, want)
	}
	if version < 1 || version > FormatVersion {
		return fmt.Errorf("graphs: %s version %d not supported (this reader supports version %d)", format, version, FormatVersion)
	}
	return nil
}
