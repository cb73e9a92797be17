// Package format holds cspviz's own Go types for the three documents a running
// GoCSP network emits (topology, snapshot, trace; see docs/FORMATS.md) and
// decoders that check the format name, the version and the references between
// ids, so that the rest of cspviz can trust what it draws.
//
// cspviz deliberately does not import the gocsp module for these types: the
// JSON documents are the contract, and a viewer built against the documents
// keeps working with any writer that follows them.
package format

// Version is the highest version of each document that this cspviz reads.
const Version = 1

// Names of the documents as they appear in their "format" field.
const (
	TopologyFormat = "gocsp-topology"
	SnapshotFormat = "gocsp-snapshot"
	TraceFormat    = "gocsp-trace"
)
