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

// ReadTopology reads one topology document from r and validates it (format.DecodeTopology).
func ReadTopology(r io.Reader) (*Topology, error) {
	t, err := format.DecodeTopology(r)
	if err != nil {
		return nil, fmt.Errorf("graphs: %w", err)
	}
	return t, nil
}
