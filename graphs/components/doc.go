// Package components is a library of generic processes to build networks from — Identity, Prefix,
// Successor, Delta, Plus, Tail, Pairs, Mux, Demux, Generator, Collector, Map, Filter and Farm — in
// the spirit of JCSP's and PyCSP's plugNplay.
//
// It depends on package csp alone: a program that only wants a Delta does not pull in the
// observation, logging and HTTP of package graphs. The processes it returns are ordinary
// *csp.Process values, to be run by csp.Parallel, declared in a graphs.Network, or spawned.
//
// Each function returns a *csp.Process that owns the ends it is given, with its kind set to the
// component's name (Process.Kind), so that topologies and snapshots say what it is.
//
// # Termination
//
// Every component follows one rule, the one the framework applies to ownership:
//
//   - ErrRetired on any end is the normal end of a stream. The component returns nil, so the
//     framework retires its other ends and the end of the stream travels on, downstream and
//     upstream. Retiring discards nothing: values already buffered stay for other readers.
//   - ErrPoisoned (or any other error) is returned, so the framework poisons the component's ends
//     and the poison travels on.
//
// A component that merges several inputs (Mux, Farm's gatherer) treats a retired input as that
// input's end only: it keeps reading the others until every one has retired. Plus, which needs a
// value from each input for every sum, ends when either retires.
package components
