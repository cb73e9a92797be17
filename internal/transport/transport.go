// Package transport is the face that package csp shows to a transport (package net), which carries
// a channel between OS processes: the interfaces through which the core hands a remote end's
// operations to the transport, and through which the transport, serving a channel's home, reads
// and writes there without taking a value before its remote peer has it.
//
// It is internal to this module: a program that builds networks never names these types, and
// `go doc ./csp` shows only the user API. csp implements the interfaces with unexported types and
// hands them out through one door per type, a Transport method on *csp.Chan, *csp.Reader and
// *csp.Writer, whose results are of the types below and so are of no use outside this module.
//
// How the pieces fit together:
//
//   - On the node that uses a remote end, the end is an ordinary *csp.Reader or *csp.Writer of a
//     channel made remote with Chan.SetExtern: every operation on it, and every guard on it in a
//     selection, is handed to the transport's Extern, which runs the protocol with the channel's
//     home. A guard is posted as an Op, which the transport fires with Op.Claim when the home
//     offers it a value; the selection's single compare-and-swap still decides which guard fires.
//     An output guard is posted the same way; the home holds it (Op.Hold: armed → held) before it
//     lets a reader take its value, then commits or releases it. An input guard is held too before
//     its home takes a value for it (Reader.ReadReady, then Reader.ReadHeld), and fires with the
//     value (Op.Deliver). Before a selection parks, its first pass asks each remote guard's home in
//     turn whether it can match now (Extern.TryRead, TryWrite).
//   - On the channel's home, a remote reader must not take a value before it has it: that would
//     turn a rendezvous into a buffer of one. Reader.ReadHeld takes the next value but holds its
//     writer (the writer's signal goes armed → held, and nothing else can fire or cancel it
//     meanwhile) until the transport knows the remote reader has it (Held.Commit: held → fired, the
//     writer's Write returns nil), or knows it does not (Held.Release: held → armed, the writer is
//     queued again at the front), or cannot know (Held.Fail: the writer fails with the transport's
//     error).
package transport

import "context"

// Chan is the transport's view of a channel (csp's (*Chan[T]).Transport).
type Chan[T any] interface {
	// SetExtern makes the channel, just made by NewChan and with no end joined yet, one whose home
	// is elsewhere: ext carries its operations. Its ends are ordinary ends (owned by processes,
	// used in selections, traced) but their values come and go through ext. A buffer option given
	// to NewChan is dropped, since the buffer lives at the home. It panics if ext is nil, or if the
	// channel has had an end joined or is remote already.
	SetExtern(ext Extern[T])
	// ReportLinkLost tells the monitors of the processes that own ends of the remote channel that
	// the way to its home is lost, so that their traces record it (csp.EventLinkLost, once per
	// monitor, attributed to one owner); snapshots see it through Locator.
	ReportLinkLost()
}

// Extern carries the operations of a channel whose home is elsewhere (Chan.SetExtern). The errors
// it returns are wrapped by csp in an *OpError naming the channel.
type Extern[T any] interface {
	// Read is a blocking read; ctx may be nil. With a non-nil ctx it must not lose a value: if the
	// home delivered one as ctx ended, Read returns it.
	Read(ctx context.Context) (T, error)
	// Write is a blocking write; ctx may be nil. It returns nil only once a reader has the value (or
	// the home's buffer has it).
	Write(ctx context.Context, v T) error
	// Post registers an input guard of a parked selection. It is called with the channel locked and
	// must not block. The transport fires it with op.Claim, at most once, until Withdraw.
	Post(op Op[T])
	// PostWrite registers an output guard of a parked selection, offering v. It is called with the
	// channel locked and must not block. The transport holds it (op.Hold) while it finds out whether
	// a reader takes v, then commits or releases it; or ends it with op.Claim and an error.
	PostWrite(op Op[T], v T)
	// TryRead and TryWrite are a selection's first look at a remote guard, made in scan order
	// before the selection settles for a Skip, a Timeout or a later guard: the home completes the
	// operation if it can match now (a value buffered, a writer or reader waiting there, the
	// channel poisoned or retired) and says so otherwise. ok reports that the operation happened
	// (with err nil) or ended with err; false that nothing could match now, and nothing changed.
	// They block for a round trip to the home, and are called with no lock held.
	TryRead() (v T, ok bool, err error)
	TryWrite(v T) (ok bool, err error)
	// Probe asks the home, without changing anything, whether the end's operation could match
	// now (as TryRead or TryWrite would find), and returns at once; wait returns the answer. A
	// selection tries the first remote guard its scan reaches while it probes the remote guards
	// after it, then tries only those that said ready. Called with no lock held.
	Probe() (wait func() (ready bool))
	// Withdraw ends a Post: after it returns the transport must not touch op again.
	Withdraw(op Op[T])
	// Poll returns a reason the channel can no longer be used (a link failure, say), or nil. It is
	// called with the channel locked and must not block.
	Poll() error
	// Poison and Retire pass the end's poison or retirement to the home. They must not block.
	Poison(discard bool)
	Retire()
}

// Op is a guard of a parked selection, posted to a transport by Extern.Post or PostWrite. Ops
// are comparable (a transport may key a map by them).
//
// Claim, Hold, Deliver, Commit and Release never take the channel's lock: a transport calls them
// holding its own lock, which Post, PostWrite, Withdraw and Poll (called with the channel locked)
// take too, so taking the channel's lock there would deadlock against a selection posting its next
// guard on the same end. The selection counts the message (delivered) when it collects the guard.
type Op[T any] interface {
	// Claim fires the guard with v (or, if err is not nil, ends the selection with err on this
	// guard). It reports whether it did: false when the selection fired otherwise or was cancelled
	// (gone), or while another transport holds it (busy, so the caller may offer again later).
	Claim(v T, err error) (ok, busy bool)
	// Hold holds the guard's selection for the transport: nothing else can fire or cancel it until
	// Commit or Release. busy reports that another transport holds it now (try again later); ok
	// false and busy false that the selection is over.
	Hold() (ok, busy bool)
	// Deliver fires a held input guard with v, the value its home took for it while it held it.
	Deliver(v T)
	// Commit fires a held guard; err is nil when its value was delivered.
	Commit(err error)
	// Release lets a held guard's selection go on waiting. If a peer met the selection while it was
	// held, the selection looks at its guards again instead, and withdraws and re-posts this one.
	Release()
}

// Locator is implemented by an Extern that can say where its channel lives, for monitors and
// viewers (csp.ChanStats.Home and LinkLost): home names the place (a node's address, say), lost
// says that the way there is lost for good. Locate must not block.
type Locator interface {
	Locate() (home string, lost bool)
}

// Reader is the transport's view of a reader end at a channel's home (csp's
// (*Reader[T]).Transport), through which it reads for a remote reader. Its methods panic on an
// end of a remote channel.
type Reader[T any] interface {
	// ReadHeld takes the next value as Read would, but holds the writer it came from until
	// Commit, Release or Fail. It returns ctx's error if ctx ends first, and csp.ErrPoisoned or
	// csp.ErrRetired as Read does (unwrapped). While it waits it has its turn among the channel's
	// readers, but a writer never completes against it: the writer waits (or its value waits in
	// the buffer) for ReadHeld to hold it, and only the transport's Commit completes it.
	ReadHeld(ctx context.Context) (T, Held[T], error)
	// ReadReady waits until a read could complete at once (a value buffered, a writer waiting that
	// nobody holds, or the read would fail), without taking anything: a transport then holds its
	// remote selection, and only then takes the value with ReadHeld, so that a value never leaves
	// the buffer for a selection that may still refuse it. While it waits it has its place in line
	// among the readers, as ReadHeld does, so that writers (and transports' output guards,
	// Writer.WriteReady) see a reader waiting. It returns ctx's error if ctx ends first.
	ReadReady(ctx context.Context) error
	// ReadableNow reports whether a read could complete at once (as ReadReady waits for), without
	// waiting or taking anything.
	ReadableNow() bool
}

// Writer is the transport's view of a writer end at a channel's home (csp's
// (*Writer[T]).Transport), through which it writes for a remote writer. Its methods panic on an
// end of a remote channel.
type Writer[T any] interface {
	// WriteReady reports whether a write could complete at once: a reader waits (here or through a
	// transport's ReadHeld), the buffer has room, or the write would fail. If not, watch is closed
	// when that may have changed.
	WriteReady() (ready bool, watch <-chan struct{})
	// WriteNow writes v only if the write completes at once: a reader waits, the buffer has room,
	// or the write fails at once (poisoned, retired). Otherwise done is false and nothing happened:
	// the transport goes on as it would have (a WriteContext that may block).
	WriteNow(v T) (done bool, err error)
	// Reserve reserves up to k more free slots of the buffer for values that come from elsewhere
	// through this end (a remote writer with credits), each filled later by WriteReserved, and
	// returns how many it reserved. Until then a reserved slot counts as taken: other writers see
	// the buffer full when its values and its reserved slots fill it, so Stats().Len plus the
	// slots reserved never exceeds the buffer (but for values a transport held and put back). A
	// slot is reserved only when no writer waits for one: they come first. err says why no slot
	// will ever be reserved again (the channel is poisoned, its readers or this end retired); the
	// slots the end holds are given back when it retires.
	Reserve(k int) (got int, err error)
	// WriteReserved writes v into a slot Reserve reserved, and never blocks: a waiting reader
	// takes v, or the buffer does. If a reader's poison discarded the buffer, or every reader
	// retired, since the slot was reserved, v goes as a buffered value would have (lost) and the
	// error says why; after a writer's poison v is still buffered, for the readers to drain, as
	// it would have been had it arrived first. It panics if the end holds no reserved slot.
	WriteReserved(v T) error
}

// Held is a value Reader.ReadHeld took but has not yet delivered; exactly one of Commit, Release
// and Fail must follow.
type Held[T any] interface {
	// Value returns the value held.
	Value() T
	// Commit completes the read: the value was delivered, and its writer's Write returns nil.
	Commit()
	// Release undoes the read: the value was not delivered here. If a reader came while the value
	// was out, it takes it now (the writer's Write returns nil); otherwise a held writer is queued
	// again at the front of the channel and a buffered value goes back to the front of the
	// buffer. If the channel was poisoned or its readers retired meanwhile, a held writer fails as
	// the queued writers did; a buffered value that a reader's poison discarded meanwhile goes with
	// the buffer.
	Release()
	// Fail ends the read when it is unknown whether the value was delivered: its writer gets err,
	// so a writer never succeeds with a value that may be lost. A value from the buffer (whose
	// writer already succeeded) is then counted as delivered at most once: it is not offered again.
	Fail(err error)
}
