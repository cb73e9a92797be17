// Package format is how cspviz reads the three documents a running GoCSP
// network emits (topology, snapshot, trace; see docs/FORMATS.md).
//
// The documents' shape is defined once, by the types of package graphs that
// writes them; this package names them for the viewer and adds what a viewer
// needs on top: decoders whose errors say where the input is wrong (JSON byte
// offsets, trace line numbers), friendly format and version checks, and
// leniency where a writer other than graphs may reasonably differ.
package format

import "github.com/gocsp/gocsp/graphs"

// Version is the highest version of each document that this cspviz reads.
const Version = graphs.FormatVersion

// Names of the documents as they appear in their "format" field.
const (
	TopologyFormat = graphs.TopologyFormat
	SnapshotFormat = graphs.SnapshotFormat
	TraceFormat    = graphs.TraceFormat
)
