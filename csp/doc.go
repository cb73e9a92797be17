// Package csp is the GoCSP core: typed any-to-any channels, processes, composition, alternation,
// and shutdown by poison and retirement, in the tradition of occam, JCSP and PyCSP.
//
// # Channels and ends
//
// NewChan makes a channel; Reader and Writer each join one more end. Any number of ends may be
// joined on both sides. A rendezvous channel (the default) completes a write only when a reader has
// taken the value; Buffered(n) lets a write complete once its value is in the buffer. Writers are
// served in arrival order, and so are readers. Read and Write allocate nothing.
//
// # Poison and retirement
//
// Poisoning any end, or the channel, makes every operation blocked on the channel, and every later
// one, fail with ErrPoisoned. A value handed over before is never lost. On a buffered channel a
// writer's poison (and Chan.Poison) lets readers drain the buffer first; a reader's poison
// discards it at once.
//
// Retiring an end makes its own later operations fail with ErrRetired. When every reader end has
// retired, writers get ErrRetired; when every writer end has retired, readers get ErrRetired once
// the buffer is empty. Retirement of a side is final: an end joined later does not undo it.
//
// # Processes
//
// Proc names a body and the ends it owns. Ownership, not argument scanning, decides what happens
// when the body ends. Returning nil, or an error that errors.Is ErrRetired, is a graceful end: the
// owned ends retire (KeepOpen opts one out), so a retirement cascades down a pipeline the way
// PyCSP's retire exception does, and a worker that returns the ErrRetired its Read gave never
// poisons the results its sibling workers are still writing. Returning any other error
// (ErrPoisoned included) or panicking is a failure: the owned ends are poisoned, so the network
// shuts down instead of hanging. An end made while the
// body runs (the channel to a child it spawns, say) is owned the same way once the body passes it
// to Own with its context. Parallel runs processes
// concurrently and reports failures (not poison or retirement) joined, each a *ProcessError naming
// its process; a panic is recovered and reported as a *PanicError with its stack.
//
// # Context
//
// One rule for every call that can block: a plain form, and a ...Context form that takes a
// context first and gives up when it ends, returning the context's error (Read/ReadContext,
// Write/WriteContext, Select/SelectContext, PriSelect/PriSelectContext, and on a reused Alt also
// FairSelect/FairSelectContext; Parallel/ParallelContext, Sequence/SequenceContext,
// Spawn/SpawnContext). A value is never lost to a cancellation: an operation that completed as
// its context ended reports success. CancelOnFailure makes a Parallel cancel its processes'
// context when one of them fails, as errgroup.WithContext does.
//
// # Misuse
//
// Mistakes that would otherwise hang or corrupt a network panic at the call with a message that
// says what was misused: a nil process, body, end or guard; the same guard twice in one Alt; one
// guard in two selections at once; one Alt, or one end, blocking in two goroutines at once (found
// when the second would block). A tracer or OnDeadlock callback that panics is recovered and
// reported by Monitor.Err.
//
// # Alternation
//
// Recv, Send, Skip and Timeout make guards, each with an optional precondition (When). An Alt
// holds a list of guards for repeated selection: Select chooses arbitrarily among ready guards,
// PriSelect takes the first ready one, and FairSelect rotates its starting point so that no guard
// that is ready each time is starved. Exactly one guard fires per selection; an output guard's value
// is handed over exactly once or not at all, also when the other side of the channel is alting
// too, with any number of readers and writers. A reused Alt allocates nothing per selection.
//
// # Observation
//
// A Monitor observes processes run under its Context: their states, what they wait on, and the
// channels they own ends of. It reports a Deadlock when every live process is blocked on channel
// operations that only blocked processes could complete. A process running, blocked outside the
// framework, in Sleep, or in a timed wait (a selection with a Timeout, an operation under a
// context with a deadline) counts as live: a timed wait shows what it waits on and its Deadline,
// but will go on by itself. Without a Monitor, observation costs nothing.
//
// The analysis is exact: it reports only when exactly the live processes are blocked, each in a
// wait that is still pending (not already completed by a peer or withdrawn on cancellation, under
// a context that has not ended), on channels whose every other end is owned by one of them or by a
// process waiting for its children; it looks again whenever a process blocks or ends and whenever
// an end retires. No false positives: an end held outside the monitor's processes vetoes a report
// until it retires. A wait under a context that can be cancelled but has no deadline counts as
// blocked, since nothing the monitor can see will end it: a network whose every process waits so
// is reported deadlocked (and poisoned), even if some goroutine outside would cancel it later; give
// such waits a deadline, or run the canceller as a process of the network.
//
// A monitor charges a blocked operation to the process that owns the end it was made on, so an owned
// end must be used by its owner only (an end is used by one process at a time): handing it
// to another goroutine makes the monitor see the owner blocked while it runs. A network waiting
// only in timed waits is never reported deadlocked. Prefer Sleep to time.Sleep in a process body:
// a monitor then shows the process sleeping, not running.
//
// # Transports
//
// A remote channel (package net) is an ordinary Chan whose ends are ordinary ends: a program uses
// it as it uses a local one. What a transport needs from the core (handing a remote end's
// operations to the transport, and reading at a channel's home without taking a value before its
// remote reader has it) is reached through the Transport method of Chan, Reader and Writer. Those
// methods are for package net: their types live in an internal package of this module, so no
// program outside it can name them, and a program that builds networks needs none of them. Do not
// call them: what they return can still be used unnamed, and reads that hold their writer or
// buffer slots reserved for a remote writer, never ended, stall the channel.
package csp
