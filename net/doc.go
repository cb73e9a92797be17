// Package net runs GoCSP channels between OS processes and hosts with the semantics of local ones:
// rendezvous, buffers, any-to-any, poison, retirement, and remote ends as input and output guards
// of selections. (Import it as cspnet where the name clashes with the standard library's.)
//
// # Nodes, homes and ends
//
// A Node listens on an address (loopback unless WithAnyInterface) and exports channels by name
// (Export). Another node opens ends of them by address and name, "host:port/name" (OpenReader,
// OpenWriter). The element type and the codec are checked when an end is opened: a mismatch is an
// error naming both (ErrTypeMismatch).
//
// Every exported channel has a home: the node that exported it, where the real csp.Chan, its buffer
// and its counters live. A remote end is an ordinary *csp.Reader or *csp.Writer (of a channel made
// remote through csp's door for transports, Chan.Transport) that a process owns, reads, writes,
// selects on, retires and poisons like any other; its operations are carried out at the home by a real end of the exported channel that the
// home joined for it. So the channel has one buffer, at its home, and every match happens there,
// under the core's own rules: a Write returns nil only once a reader somewhere has the value (or the
// buffer at the home has it), poison and retirement follow package csp's rules (a writer's poison lets readers
// drain the buffer, a reader's poison discards it; the last writer's retirement reaches readers once
// the buffer is empty), and every value is delivered exactly once.
//
// # The commit protocol
//
// A value must never leave its writer before its reader has it: a home that took a value off the
// channel and then sent it to a remote reader would turn a rendezvous into a buffer of one, make an
// output guard look ready when no reader is, and lose an acknowledged value if the link died on the
// way. The home therefore claims the two sides in two phases, with a state of the core's signal (the
// one compare-and-swap that decides every rendezvous and every selection) that can be held and
// released:
//
//	armed ──claim──▶ fired           (a peer completes the operation, as in the core)
//	armed ──hold───▶ held ──commit──▶ fired
//	                 held ──release─▶ armed
//	                 held ──claim or cancel──▶ passed ──commit──▶ fired
//	                                           passed ──release─▶ fired (retry)
//	armed ──cancel─▶ cancelled       (the agent's own timeout or context)
//
// While a signal is held nothing else can fire or cancel it, and nobody waits for it: a peer that
// meets it (under its channel's lock) passes it by, as it would a selection that fired elsewhere, and
// marks it passed; the agent's own cancellation marks it too and waits for the decision, which comes
// within a round trip (or the link's failure bound). A commit completes the operation whatever the
// mark. A release of an unmarked signal re-arms it where it waited; of a marked one, it wakes the
// agent to look at its channels again (retry), so that what the peer offered meanwhile is found.
// The operations, with O the node that opened the end
// and H the home:
//
//   - Remote Write (plain; O's process can be completed by nothing else, so it is held by
//     construction): O sends Write(op, value). H's end writes the value with WriteContext; when that
//     returns, H sends Done(op, result). O's Write returns nil only on Done(ok), which H sends only
//     after a reader took the value or the buffer has it.
//   - Remote Read at O: O sends Read(op). H takes the next value with ReadHeld (through csp's door
//     for transports, Reader.Transport): from the buffer, or from a waiting writer whose signal it
//     holds. H sends Offer(op, value); O takes it (a plain read always does) and answers Taken, and
//     H commits the writer: its Write returns nil. (Refused, for a value O cannot decode, releases
//     the writer.)
//   - A selection at O first looks at its guards in its scan order (index order for PriSelect,
//     from after the last winner for FairSelect), as a local one does, and asks the home of each
//     remote guard it reaches whether the guard can match now, before it settles for a Skip, a
//     Timeout or a later guard: O sends Read(op, try) or Write(op, value, try) and waits. H
//     completes the operation if it can match now: for a read, a value buffered, a writer waiting
//     (or a remote output guard coming: H waits in line for up to a short linger while there are
//     any), poison or retirement, offered as to a plain read; for a write, a reader waiting here
//     (locally or through a transport) or buffer room, written as a plain write that gives up
//     after the linger. Otherwise it answers Done(op, not ready), and nothing changed. The first
//     guard found ready fires, so a PriSelect takes the first ready guard in order and a
//     FairSelect stays fair. When the scan reaches its first remote guard, O tries it and, in
//     the same round trip, probes the remote guards after it (Read or Write with flag probe: H
//     answers Done(op) if the operation could match now, Done(op, not ready) if not, and
//     changes nothing); the scan then tries, in order, only those that said ready. So a look
//     costs, whatever the number of homes: nothing when a local guard ahead of every remote one
//     is ready; one round trip when the first remote guard reached is ready, or when none is
//     (so one remote guard, or k guards of which the first is ready, cost one); two when a later
//     one is, plus one for each that another reader or writer took between probe and try. A
//     look that finds nothing parks as below.
//   - Input guard of a parked selection at O: O sends Read(op, alt). H waits in line among the
//     channel's readers until a value could be taken now (ReadReady), without taking it, then
//     holds O's selection (Hold(op); O moves its signal armed → held and answers Held, or Refused,
//     busy or not), and only then takes the value (ReadHeld) and sends Offer(op, value); the held
//     guard fires with it and O answers Taken, and H commits the writer. If the value went to
//     another reader meanwhile, H sends Release(op) after the linger and waits again. So a
//     buffered value stays in the buffer, in its place, until a selection that cannot refuse it
//     has it: FIFO per writer holds, the buffer never holds more than its size, and a refused Hold
//     changes nothing.
//   - Output guard of a parked selection at O: O sends Write(op, value, alt). When a write could
//     complete at H (a reader waits, locally or through a transport, or the buffer has room), H
//     sends Hold(op), and with O held writes the value (giving up after the linger if the reader
//     went elsewhere) and sends Commit(op, result), or Release(op) and waits for the next chance.
//     A selection held by one home is busy for the others: they ask again after a short random
//     pause. A write, a guard and a read so meet at the home whatever nodes they run on, both
//     sides of a channel can alt on different nodes, and exactly one guard of each selection
//     fires.
//   - Withdrawal: O sends Cancel(op) when a plain operation's context ends (it then waits for Done,
//     or for the Offer that crossed it, whose value it takes) or when a selection fired elsewhere
//     (an Offer or Hold that crossed it is refused). Poison(end) and Retire(end) act on H's end
//     the moment they arrive, ahead of anything the end has queued, and so wake the operation H
//     serves for it with ErrPoisoned or ErrRetired, as they would on a local end (and a cancelled
//     ParallelContext, which poisons its processes' ends, ends processes waiting on remote ends);
//     H confirms a retirement with Done(op 0) once the operation under way is answered, and O
//     answers questions for the end until then. Poison and Retire never block, so they do not
//     wait for H: what O sends after them reaches H after them (one link is one ordered stream),
//     but an operation made through another node just after may reach H first.
//
// # Failure
//
// Each link sends a heartbeat when idle (WithHeartbeat, by default every 250ms); its connection
// fails when nothing arrives for the bound (default 1.5s, so a dead or silent peer is found within
// 2s) or on an I/O error. Nodes with a reconnection window (both, by default: 5s) then wait for the
// link to come back (below); a link not back within the window, one between nodes of which one
// has no window (WithReconnectWindow(0)) whose connection fails, and one whose peer breaks the
// protocol, are lost. Then every operation and selection waiting on it returns ErrLinkLost (not
// csp.ErrPoisoned; test with errors.Is), and so does every later operation on its ends;
// reconnecting after a loss is explicit (open new ends). A peer that leaves a home's question
// about its operation unanswered (msgHeld to a hold, msgTaken or msgRefused to an offer) for the
// heartbeat bound (plus the reconnection window, on a link that may come back), heartbeats or not,
// breaks the protocol: its link is lost then, so that a writer it held fails with ErrLinkLost (the
// peer may have the value) instead of stalling the channel's other ends. Every error an operation
// or selection returns after a link loss, on any node, matches ErrLinkLost, csp.ErrPoisoned or
// csp.ErrRetired under errors.Is: a writer whose value was in flight to a reader on another lost
// link gets ErrLinkLost too, wherever the writer is.
//
// At the home, what a lost peer's ends do is the export's choice (OnLinkLost):
//
//   - LeaveOnLinkLost (the default) retires them one by one, as if their processes had ended
//     normally: the channel goes on with its other ends, and a lost peer cannot take a channel that
//     others use down by leaving, crashing or going silent. If they were the channel's last readers
//     (or writers), the other ends see csp.ErrRetired by package csp's rules.
//   - PoisonOnLinkLost poisons the channel through them, as the failure of the unreachable process
//     behind them would have (SPEC §3): every process on the channel, on any node, sees
//     csp.ErrPoisoned. An end its process retired before the loss is not poisoned.
//
// Which values whose write returned nil each can lose, and nothing else is ever lost or delivered
// twice:
//
//   - Under both: a value whose writer had already succeeded (it was in the buffer) and that was
//     in flight to a reader whose link was lost (offered, its answer never came) is delivered at
//     most once: the lost reader may or may not have it. At most one such value per lost reader
//     end. A value whose fate is unknown and whose writer is still waiting (a rendezvous, or a
//     remote write whose Done never came) makes its writer fail with ErrLinkLost, never succeed,
//     and is never offered again, so none is delivered twice.
//   - LeaveOnLinkLost loses nothing more: a retirement never discards a buffer.
//   - PoisonOnLinkLost also discards the whole buffer when the lost end is a reader, as a local
//     reader's poison does (a lost writer's poison lets readers drain it first).
//
// With a reconnection window on both nodes (WithReconnectWindow, 5s by default), a link whose
// connection fails (an I/O error, or silence past the heartbeat bound) is suspended instead of
// lost: its operations wait, what its ends send is kept, and the node that dialled the link dials
// again (backing off up to a heartbeat period between tries) through the whole handshake, TLS and secret included; the other node
// accepts the new connection only from the same peer, naming the link's random 128-bit id. Each
// side says how many bytes of the link's stream it has received, and the other sends again exactly
// what followed, from a buffer of what the peer has not acknowledged yet (acknowledged with the
// next traffic, at least once a heartbeat period, and every 64 KiB); so within the window nothing
// is lost or delivered twice, no operation fails, and the selection protocol runs as if the
// connection had never failed. The policies above apply only to a link not back within the window
// (lost then, with ErrLinkLost), to one whose resend buffer grows past twice the queue bound (16
// MiB by default), and to a peer that breaks the protocol (lost at once). A closing node does not
// wait out a window: its suspended links are lost at once, and its live ones deliver and end as
// below. The window is 5s unless WithReconnectWindow says otherwise: it rides out a process
// paused for a few seconds, a NAT rebinding or a proxy restart, and costs a dead peer's ends: they
// are released after the window, and the heartbeat bound if the peer went silent rather than
// closing its connection (about 6.5s, against 2s without a window). A peer restarted meanwhile at
// the same address has no such session to resume, and says so: the link is lost at once.
// Where the two nodes' windows differ, each waits its own before its side of the link is lost;
// the link comes back only within the shorter. WithReconnectWindow(0) on either node makes every
// failed connection a lost link at once, as before windows; nodes with and without a window link
// to each other that way.
//
// A process blocked on a remote end counts as live for deadlock detection: what it waits for
// happens on another node.
//
// Closing a node (Close, CloseContext) delivers what the node owes before its links go. The
// retirements, poisons and answers (a taken offer's msgTaken) its ends queued are sent; its
// channels' remote ends finish the operations whose outcome is decided and send their results, and
// those still waiting end; then a msgBye follows on each link, and the peer, having acted on
// everything before it, drops the link, which ends it on both sides. So a remote writer that
// writes, retires and closes its node leaves the home's readers ErrRetired (never ErrPoisoned),
// whatever the policy; the ends it had not retired are lost ends to their homes, which leave or
// poison as the export says. Close waits for the peers at most the heartbeat bound.
//
// # Credits
//
// A remote Write returns once its home has the value, so one writer has one value in flight: a
// round trip per value. A writer end opened WithCredits on a buffered channel, over a link with a
// reconnection window on both nodes, writes ahead instead: its home reserves up to W = min(buffer,
// 64) free slots of the buffer for it (a reserved slot counts as taken for every other writer, so
// the values buffered plus the slots reserved never exceed the buffer) and grants them (msgCredit,
// cumulative); a Write that has a credit sends its value and returns nil at once, and the home's
// link reader puts the value into its slot (to a waiting reader, or into the buffer) as it
// arrives, in the order the end wrote. The home grants again as credits are spent and the buffer
// has room; an end out of credits writes the acknowledged way, in line with the channel's other
// writers (so writers that keep the buffer full cannot starve it), and is topped up after. Nothing
// waits per value: an end has at most W values in flight, the home no queue for them, and no
// goroutine is added. Rendezvous channels, output guards, tries and links without a window keep
// the acknowledged path. The end's values travel in order on the link's one byte stream, which
// within the window is resent after a blip exactly from where the peer stopped, so no per-value
// sequence numbers are needed: a credited value is either in the stream the session resends, or
// lost with the whole link (and its ends: a new link is new ends, so there is nothing to resend on).
//
// What that changes. A Write that returned nil has a place in the buffer, but may not be there yet:
// a process that learns of the write another way (a message through another channel or another
// node) and reads the channel may find it empty, or select a Skip over it; through the same link,
// order holds (an operation a process of the writer's node makes after the Write reaches the home
// after the value). Stats at the home count a value once it arrives. So credits are opt-in, for
// streams where that is fine; the package's semantic tests run through credited ends with readers
// and writers on one node.
//
// What each failure can lose, beyond the above (Failure):
//
//   - A blip healed within the window: nothing.
//   - The writer's node dies (or closes with the link suspended) with values in flight: those
//     values, as a local process that dies after its Write returned loses nothing it wrote but
//     stops writing; here up to W values that had returned nil never reach the buffer. A node that
//     closes normally delivers them first (Close sends everything queued before msgBye).
//   - The link lost for good (past the window, or its resend buffer overflowing): at most W values
//     per credited end that returned nil and never reached the home. The writer's next operation
//     fails with ErrLinkLost, whose text says how many of its credited writes the home had not yet
//     confirmed (confirmations ride on grants, so that is an upper bound); the home's end then
//     leaves or poisons as the export says, and its unfilled reservations are given back.
//   - A reader's poison discards the values that arrive for reserved slots afterwards, as it
//     discards buffered ones; the home tells the end to stop (flagStop), after which its writes
//     fail with csp.ErrPoisoned as any writer's. Writes the end made before that reached it
//     returned nil: at most the values in flight, up to W. The same holds when every reader
//     retired (their values would never be read). After a writer's poison, values already in
//     flight still go into the buffer, for readers to drain.
//   - A retirement, poison or Close that the writer sends after credited writes reaches the home
//     after them, so readers get every value before ErrRetired.
//
// # Wire
//
// One TCP connection per pair of nodes carries all their channels (a hello carries each node's
// listening address, so a node reuses a connection its peer opened; two nodes that dial each other
// at the same moment may keep two). Without WithSecret or mutual TLS that address is taken on
// trust, as is every peer that can connect: such a peer may open any exported channel, and may
// claim another node's address and so carry this node's ends meant for it. Hence a node reachable
// from other hosts must have one of them. Each side first sends a hello: "GCSP", a big-endian uint16
// protocol version (2), uint16 flags (1: the sender has a shared secret; 2: it has a reconnection
// window, and if both have, the link runs on a session, see resume.go), and its address. Then frames: a fixed 18-byte big-endian header (uint32
// length of the rest, uint8 type, uint8 flags, uint32 end id, uint64 operation id) and a payload of
// at most WithMaxFrame bytes in all. Values travel through the channel's Codec, always decoded into
// the channel's declared element type (see Codecs).
// A writer end that asks for credits says so with flag 8 on msgOpen; its credited writes are
// msgWrite with flag 8 (no answer), the home's grants msgCredit (type 19: two uint64, granted and
// received so far; flag 1: no more).
// Flow control is per end: an end has one operation outstanding at a time (or W credited writes), the home serves each end
// from its own goroutine, and the link's reader never blocks on a channel, so a slow reader of one
// channel never stalls another channel on the same link.
//
// # Codecs
//
// A value a peer sends is decoded by the channel's codec before anything else sees it, so the codec
// is where a hostile peer strikes first. The default, CBOR (RFC 8949, through
// github.com/fxamacker/cbor/v2), is built for input that may be hostile: it checks that a payload
// is one well-formed item before decoding it, so a declared length longer than the bytes that
// follow (2^60 elements declared in nine bytes) costs nothing; it bounds nesting (CBORMaxDepth) and
// the elements of an array or map (CBORMaxElements); every element takes at least a byte of the
// frame, so a decode allocates at most the frame size times the size of the element type's parts.
// It is what Kubernetes chose for the same reason, it is fuzzed upstream, fast, and brings one small
// dependency (x448/float16). It was chosen over: encoding/gob, which says of itself that it is not
// hardened against adversarial input (a value nested 3,000,000 deep in one frame ends the process
// with a fatal stack overflow, which no recover catches); encoding/json, whose depth encoding/json
// itself bounds (10,000) but which is several times larger and slower; MessagePack libraries
// (vmihailenco/msgpack) that do not bound nesting; and Protocol Buffers, which need a schema
// compiled for every element type. CBOR carries what encoding/json does: a struct as a map of its
// exported fields (an unexported field arrives as its zero value; `cbor` or `json` tags rename), an
// empty interface as what CBOR holds (int64 or uint64, float64, string, []byte, []any,
// map[any]any), time.Time as RFC 3339 text; a non-empty interface cannot be decoded. A value that
// does not fit the element type fails that one operation ("at the channel's home: cbor: cannot
// unmarshal UTF-8 text string into Go struct field main.job.ID of type int"), never the node.
//
// Gob (WithCodec(Gob{}) on both sides) is for trusted peers only. JSON is bounded by encoding/json
// (depth 10,000, lengths by the input) and Raw copies the payload; both are safe for untrusted
// input. The hostile-value tests (hostile_test.go) send nesting 3,000,000 deep, lengths of 2^60
// and many such values at once: each is refused with a reason, the node lives and serves on, and
// its heap grows by the frames in flight only (64 ends on 4 connections writing 4 MiB hostile
// values at once: 101–110 MiB at the peak, with `go test -run TestHostileValuesFromManyEnds -v ./net`).
//
// # Security
//
// A node listens on loopback unless WithAnyInterface, and a node reachable from other hosts must
// have WithTLS or WithSecret: Listen refuses otherwise, unless WithInsecureAnyInterface says that
// the network is protected some other way. Before a connection becomes a link:
//
//   - WithTLS runs it over TLS (TLSConfigFromFiles makes a mutual configuration from PEM files: a
//     node accepts and dials only peers with a certificate from the given authorities);
//   - the hellos are exchanged (inside TLS);
//   - WithSecret makes each side prove it knows the shared secret: each sends a 32-byte random
//     nonce, then HMAC-SHA256(secret, label, speaker's role, both hellos, both nonces, and with TLS
//     the session's exported keying material). The secret never crosses the wire; a recorded or
//     reflected proof fails, because the other side's nonce (and the role) differ; a proof relayed
//     from another TLS session fails, because the keying material differs.
//
// All of it runs under the handshake timeout (5s). A peer that fails any step is refused, its
// connection closed, and the reason logged (WithLogger) with its address; nothing it sent reaches a
// channel. The refusal says why on both sides, with errors that match ErrHandshake and, where a
// caller can act on it, ErrNoSecret (one node has a shared secret, the other none: both see it in
// the hellos, so neither reads the other's next bytes as a frame), ErrWrongSecret, ErrTLS or
// ErrProtocolVersion. A peer that breaks the protocol later (a frame over the maximum, an unknown
// type, bytes that are no frame) loses its own link only.
//
// # Limits
//
// Connections still in their handshake are capped and timed apart from linked peers, so that no
// flood of unauthenticated or silent sockets keeps an authenticated peer out: WithMaxHandshakes
// (128 at once, 64 from one IP address; a connection that has sent nothing gives way to a
// newcomer, so silent sockets, however many and however often redialled, hold no slot an honest
// peer needs), each under the handshake deadline. WithMaxPeers caps the linked peers that
// connected to the node (256). WithMaxEnds caps the ends one peer may have open on the node's
// channels (1024), WithMaxEndsTotal those of all peers together (8192); an open counts from the
// moment it arrives, so pending opens are capped with them, and one beyond a cap is refused and
// logged, as is an open of an unknown channel or of the wrong type. An end may have at most two
// writes queued behind the one served (one operation at a time needs one), and a link at most 8
// frames' worth (at least 8 MiB) queued for its peer: a peer that does not read what it is sent
// (an open flood whose refusals it never reads) loses its link, instead of being buffered for.
//
// So a node's memory has a bound whatever its peers send, with F the maximum frame and Q the
// outgoing bound (max(8 MiB, 8F)):
//
//	handshakes  WithMaxHandshakes × (a goroutine and its buffers: 1.5–7 KiB; with TLS some tens)
//	links       WithMaxPeers × (F read buffer + 64 KiB + 2Q queued and being written, or on a
//	            session sent and not yet acknowledged; + 1.4 MiB of a session's read buffers)
//	ends        WithMaxEndsTotal × (~6 KiB + up to 3F: two queued writes and the value served)
//
// which with the defaults is about 4.6 GiB for links (a suspended link keeps its share for the
// reconnection window, and counts against WithMaxPeers meanwhile) and, if every end holds three
// values of the largest frame, 24 GiB for ends: a node that serves untrusted peers should size WithMaxFrame and
// WithMaxEndsTotal to its memory (64 KiB frames and 4096 ends: under 1 GiB in all). Measured on
// loopback, each flood from one process against one node with the default options (go test -v
// -run 'TestSilentFlood|TestPeerThatDoesNotRead|TestHostileValuesFromMany|TestMemoryPer' ./net,
// heap and stacks at the peak by runtime.MemStats, garbage not yet collected included; 2 cores,
// heavily shared): 300 silent sockets redialled, 6.8–8.7 MiB, the flooders' own sockets included,
// and an honest peer with the secret links at its first or second try; an open flood read by
// nobody, 28–34 MiB until the link is dropped (1.08 GB before the bound), 65–80 MiB when the
// flooder asked for a session (its resend buffer fills instead); 64 ends writing hostile 4 MiB
// values at once, 101–110 MiB; an idle end, 4.8–5.1 KiB; a silent connection in its handshake,
// 3.1–3.5 KiB.
//
// # Finding channels and nodes
//
// A name server (ServeNames on a node, or the command net/cmd/gocsp-names) keeps a directory of
// exported channels: a node started WithNameServer(addr) registers every channel it exports (a
// name is one live node's at a time: ErrNameTaken), and opens ends by channel name alone. The
// server is built from this package's remote channels: a client exports a request and a reply
// channel, says hello on the server's "gocsp.names", and the server serves it in a session over
// those channels; when the client's link is lost (it closed; or it died or went silent past the
// heartbeat bound, and was not back within the reconnection window), the session ends and its
// names are dropped. A blip that heals within the window keeps the session and the names.
//
// A Resolver turns a service name into node addresses: SRVResolver reads DNS SRV records
// (_gocsp._tcp.SERVICE, as a Kubernetes headless service with a port named gocsp, or Consul,
// publishes them), StaticResolver is a fixed list, and a Node with a name server resolves channel
// names. Open ends at address+"/"+channel.
//
// A link whose connection fails comes back within the reconnection window (WithReconnectWindow,
// 5s by default; see Failure); a link lost for good stays lost: open new ends.
package net
