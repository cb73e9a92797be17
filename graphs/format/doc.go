// Package format defines the documents that leave a running GoCSP network — its topology,
// snapshots of its live state, the event stream that carries them and traces of its events
// (docs/FORMATS.md, version 1) — and reads them. Hub serves the event stream: graphs.Handler and
// cspviz's proxies serve it through one. It is a leaf: it imports nothing of csp, so that a viewer (cspviz) reads exactly the types
// graphs writes without depending on the runtime that writes them.
//
// The wire types follow one naming scheme: a document's type is named after it (Topology,
// Snapshot, TraceHeader, TraceEvent), the parts of a topology after what they describe (Process,
// Channel, End), and the parts of a snapshot after what they report (ProcessState, ChannelState,
// Wait, OwnedEnd, Deadlock, Step).
//
// Readers reject a format they do not know and a version newer than Version, with an error that
// names both, and ignore unknown fields, so that later minor additions stay readable. Their
// errors say where the input is wrong: a JSON byte offset, a trace line.
package format

// Version is the version of each document this package writes and the newest it reads.
const Version = 1

// Names of the documents as their "format" field gives them.
const (
	TopologyFormat = "gocsp-topology"
	SnapshotFormat = "gocsp-snapshot"
	TraceFormat    = "gocsp-trace"
)

// Directions of an End and operations of a Wait or Step.
const (
	DirRead  = "read"
	DirWrite = "write"
)

// Process states, as snapshots and traces write them.
const (
	StateRunning      = "running"
	StateBlockedRead  = "blocked-read"
	StateBlockedWrite = "blocked-write"
	StateAlting       = "alting"
	StateSleeping     = "sleeping" // in csp.Sleep (older snapshots: a timed wait on channels)
	StateWaiting      = "waiting"  // waiting for the processes it runs in parallel
	StateDone         = "done"
	StatePoisoned     = "poisoned"
	StateFailed       = "failed"
)

// States returns every process state name, in the order of the constants above. csp's State names
// (checked by a test in graphs) and the viewer's page (checked by a test in cspviz) must know each.
func States() []string {
	return []string{StateRunning, StateBlockedRead, StateBlockedWrite, StateAlting, StateSleeping,
		StateWaiting, StateDone, StatePoisoned, StateFailed}
}

// Trace event kinds (a TraceEvent's "ev").
const (
	EvProcStart   = "proc.start"
	EvProcBlock   = "proc.block"
	EvProcUnblock = "proc.unblock"
	EvProcEnd     = "proc.end"
	EvChanRead    = "chan.read"
	EvChanWrite   = "chan.write"
	EvChanPoison  = "chan.poison"
	EvChanRetire  = "chan.retire"
	EvAltChoice   = "alt.choice"
	EvDeadlock    = "deadlock"
	// EvChanLinkLost: the link to a remote channel's node is lost (since 2026-11-22, version 1).
	EvChanLinkLost = "chan.link-lost"
)
