// Package graphs describes GoCSP process networks declaratively, runs them under observation, and
// provides a library of generic components.
//
// # Networks
//
// New names a network and Add declares its processes; the channels are found through the ends the
// processes own (csp.End.Channel), so a network's topology — which process owns which end of which
// channel — is known before it runs. Topology writes it as versioned JSON (docs/FORMATS.md).
//
// Run runs every process in parallel, as csp.ParallelContext does, under a csp.Monitor. The monitor
// gives live snapshots (Snapshot, Handler) and detects deadlock: when every live process is blocked
// on channel operations that only blocked processes could complete, the channels involved are
// poisoned so that the network ends, and Run returns a *DeadlockError naming the wait-for cycle(s).
// Processes started at run time with csp.SpawnContext (or a nested csp.ParallelContext) under the
// body's context are observed too, and Run waits for them.
//
// Identifiers: declared processes get ids p1, p2, … in declaration order and their channels c1, c2,
// … in order of first appearance. Processes started at run time get d<n> (n is the monitor's id for
// the process) and channels first seen at run time dc1, dc2, ….
//
// WithoutObservation runs the network as plain csp.ParallelContext: no monitor, no deadlock
// detection, no per-process states in snapshots, and no cost.
//
// # Components
//
// The components (Identity, Prefix, Successor, Delta, Plus, Tail, Pairs, Mux, Demux, Generator,
// Collector, Map, Filter, Farm) are functions that return a *csp.Process owning the ends it is
// given, with its kind set to the component's name. They share one termination rule: ErrRetired on
// any end ends the component normally (it returns nil, so the framework retires its other ends and
// the end of the stream travels on), and ErrPoisoned is returned, so the framework poisons its
// ends and the poison travels on.
package graphs
