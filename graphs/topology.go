package graphs

import (
	"fmt"
	"io"

	"github.com/gocsp/gocsp/graphs/format"
)

// The documents graphs writes are package format's (docs/FORMATS.md); these names are kept so
// that code written against graphs reads on.
const (
	TopologyFormat = format.TopologyFormat
	SnapshotFormat = format.SnapshotFormat
	TraceFormat    = format.TraceFormat
	FormatVersion  = format.Version
)

// Topology is a network's static structure (format.Topology).
type Topology = format.Topology

// TopoProcess is one process of a topology.
//
// Deprecated: use format.Process.
type TopoProcess = format.Process

// TopoChannel is one channel of a topology.
//
// Deprecated: use format.Channel.
type TopoChannel = format.Channel

// TopoEnd says that a process holds an end of a channel.
//
// Deprecated: use format.End.
type TopoEnd = format.End

// ReadTopology reads one topology document from r and validates it (format.DecodeTopology).
func ReadTopology(r io.Reader) (*Topology, error) {
	t, err := format.DecodeTopology(r)
	if err != nil {
		return nil, fmt.Errorf("graphs: %w", err)
	}
	return t, nil
}
