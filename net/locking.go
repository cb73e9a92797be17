package net

// Locking. This is the one place that says which locks the package takes and in which order: a
// lock may be taken while holding only locks listed above it. Frames are queued, never written,
// under a lock (link.send appends to the write queue and kicks the writer goroutine).
//
//  1. A csp channel's lock (the core's; csp/chan.go). csp calls Extern.Post, PostWrite, Withdraw
//     and Poll with it held, so those take remote.mu under it; a transport firing a guard
//     (transport.Op's Claim, Hold, Deliver, Commit, Release) never takes a channel's lock, so it
//     may do so under remote.mu.
//  2. remote.mu: an opened end's protocol state (operation ids, posted guards, lost, poison and
//     retirement sent). Under it the end queues frames (link.send) and fires its posted guards.
//  3. home.mu: a home end's queue of operations and the one it serves, and a credited end's
//     counts (granted, received). Under it the end queues frames (link.send: grants among them)
//     and asks whether the node is closing (link.closing). The csp operations a home performs
//     (Read, Write, ReadHeld, WriteNow, and a credited end's Reserve and WriteReserved, which take
//     the channel's lock) run without it.
//  4. Node.dialMu (one dial at a time), then Node.mu (links, exports, closed), held briefly.
//  5. link.wmu (the write queue, bye, closeErr) and link.mu (ends by id, opening, lost): each is
//     taken last, never one under the other: send lets wmu go before it reads lost, fail takes
//     them one after the other, and link.idle copies the homes under link.mu before it asks each
//     (home.mu) whether it is idle.
//
// Goroutines: each link has a reader (dispatch hands frames to ends without blocking, and starts
// a goroutine for what must wait, such as joining a channel in open) and a writer (writeLoop);
// each home end has one goroutine serving its queue.
