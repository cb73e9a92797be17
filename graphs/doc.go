// Package graphs describes GoCSP process networks declaratively and runs them under observation.
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
// Before it starts, Run checks that every end the declared channels have joined belongs to a
// declared process: an end a process uses without owning it is never retired when the process ends,
// so its peers would wait for ever, and no deadlock could be declared (an end held outside might
// still act). Run refuses such a network with an *UnownedEndsError naming the ends; WithOutsideEnds
// allows ends held by code outside the network (a test feeding it, another node's ends of an
// exported channel).
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
// The generic processes to build networks from (Identity, Prefix, Successor, Delta, Plus, Tail,
// Pairs, Mux, Demux, Generator, Collector, Map, Filter, Farm) are in package graphs/components,
// which depends on csp alone: they run as well under csp.Parallel as in a Network.
package graphs
