package csp

import (
	"context"
	"errors"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// State is what a process is doing, as a Monitor sees it.
type State int32

// The states of a process.
const (
	StateRunning      State = iota + 1 // running, or blocked outside the framework (I/O, a mutex, a sleep)
	StateBlockedRead                   // blocked in Read
	StateBlockedWrite                  // blocked in Write
	StateAlting                        // waiting in a selection
	StateSleeping                      // in Sleep
	StateWaiting                       // waiting for the processes it runs in Parallel or Sequence
	StateDone                          // ended normally: returned nil, or ErrRetired
	StatePoisoned                      // ended by poison
	StateFailed                        // ended with an error or a panic
)

var stateNames = [...]string{"", "running", "blocked-read", "blocked-write", "alting", "sleeping",
	"waiting", "done", "poisoned", "failed"}

// String returns the state's name as snapshots write it ("blocked-read", say).
func (s State) String() string {
	if s > 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Blocked reports whether the state is blocked on channel operations.
func (s State) Blocked() bool {
	return s == StateBlockedRead || s == StateBlockedWrite || s == StateAlting
}

// Monitor observes the processes run under the context it returns from Context: their states, the
// channels they wait on, and (through their ends) the channels' counters. It detects deadlock: when
// every live process it observes is blocked on channel operations that only processes it observes
// could complete, it reports a Deadlock and poisons the channels involved so that the network ends.
//
// Processes that no Monitor observes pay one nil check per blocking operation, nothing more.
type Monitor struct {
	mu         sync.Mutex
	recs       []*procRecord
	live       atomic.Int64
	blocked    atomic.Uint64 // high 32 bits: a generation counted on every change; low: processes blocked
	procs      sync.WaitGroup
	checks     sync.WaitGroup
	checking   atomic.Bool
	lastClean  atomic.Uint64 // counters last found stable but not deadlocked
	lastLive   atomic.Int64
	nextID     atomic.Uint64
	onDeadlock func(*Deadlock)
	deadlock   atomic.Pointer[Deadlock]
	tracer     Tracer
	start      time.Time

	tracerBroken atomic.Bool // the tracer panicked: it is not called again
	hookMu       sync.Mutex  // guards hookErrs
	hookErrs     []error     // panics recovered from the tracer and OnDeadlock
}

// MonitorOption configures a Monitor.
type MonitorOption func(*Monitor)

// OnDeadlock sets a function called, once, when the monitor finds a deadlock; the channels involved
// are poisoned after it returns.
func OnDeadlock(f func(*Deadlock)) MonitorOption { return func(m *Monitor) { m.onDeadlock = f } }

// WithTracer sends every process and channel event to t. Events are delivered from many goroutines
// at once, some of them holding a channel's lock: t must be safe for concurrent use and must not
// operate on channels.
func WithTracer(t Tracer) MonitorOption { return func(m *Monitor) { m.tracer = t } }

// NewMonitor makes a Monitor.
func NewMonitor(opts ...MonitorOption) *Monitor {
	m := &Monitor{start: time.Now()}
	for _, o := range opts {
		o(m)
	}
	return m
}

type scopeKey struct{}

// Context returns a context under which Parallel, Sequence and Spawn run observed processes.
func (m *Monitor) Context(parent context.Context) context.Context {
	return context.WithValue(parent, scopeKey{}, &procRecord{m: m, root: true})
}

func scopeFrom(ctx context.Context) *procRecord {
	if ctx == nil {
		return nil
	}
	rec, _ := ctx.Value(scopeKey{}).(*procRecord)
	return rec
}

// observer returns the record of the observed process (or monitor root) ctx belongs to, or nil
// when no Monitor observes it.
func observer(ctx context.Context) *procRecord {
	if rec := scopeFrom(ctx); rec != nil && rec.m != nil {
		return rec
	}
	return nil
}

// Wait waits until every process started under the monitor has ended, spawned ones included.
func (m *Monitor) Wait() {
	m.procs.Wait()
	m.checks.Wait()
}

// Err reports the callbacks given to the monitor (the tracer, OnDeadlock) that panicked, each as a
// *HookError carrying the *PanicError; nil if none did. The monitor recovers such a panic so that
// the network can still shut down, stops calling a tracer that panicked, and still poisons a
// deadlock's channels when OnDeadlock panicked.
func (m *Monitor) Err() error {
	m.hookMu.Lock()
	defer m.hookMu.Unlock()
	return errors.Join(m.hookErrs...)
}

// recoverHook, deferred around a call of a callback, recovers its panic and keeps it for Err;
// broken, if not nil, is set so that the callback is not called again.
func (m *Monitor) recoverHook(hook string, broken *atomic.Bool) {
	r := recover()
	if r == nil {
		return
	}
	if broken != nil {
		broken.Store(true)
	}
	m.hookMu.Lock()
	m.hookErrs = append(m.hookErrs, &HookError{Hook: hook, Err: &PanicError{Value: r, Stack: debug.Stack()}})
	m.hookMu.Unlock()
}

// Deadlock returns the deadlock the monitor found, or nil.
func (m *Monitor) Deadlock() *Deadlock { return m.deadlock.Load() }

// StartTime is when the monitor was made; trace times count from it.
func (m *Monitor) StartTime() time.Time { return m.start }

// ProcessRef identifies a monitored process: ids are unique within one Monitor, names need not be.
type ProcessRef struct {
	ID      uint64
	Name    string
	Process *Process // the process; one Process run twice has two ids
}

// PendingOp is one channel operation a blocked process waits on.
type PendingOp struct {
	Channel Channel
	Op      Dir
	// Peers are the processes holding an end on the other side of Channel that is not retired:
	// those that could complete the operation. Filled in deadlock reports only.
	Peers []ProcessRef
	end   *endCore
}

// ProcessInfo is a monitored process's state at one moment.
type ProcessInfo struct {
	ProcessRef
	State State
	Waits []PendingOp // what it waits on, when blocked
	// Deadline is when a timed wait gives up by itself: a selection with a Timeout, an operation
	// under a context with a deadline, or Sleep. Zero for a wait only a peer can end. A timed wait
	// counts as live: it is never part of a deadlock.
	Deadline time.Time
	Ends     []End // the ends it owns
	Err      error // how it ended, once ended
}

// Processes returns the state of every process started under the monitor, ended ones included, in
// the order they started.
func (m *Monitor) Processes() []ProcessInfo {
	m.mu.Lock()
	recs := slices.Clone(m.recs)
	errs := make([]error, len(recs))
	for i, r := range recs {
		errs[i] = r.err
	}
	m.mu.Unlock()
	out := make([]ProcessInfo, len(recs))
	for i, r := range recs {
		st := State(r.state.Load())
		out[i] = ProcessInfo{ProcessRef: r.ref(), State: st, Ends: r.proc.owned(), Err: errs[i]}
		if st.Blocked() {
			out[i].Waits = r.waits()
		}
		if st.Blocked() || st == StateSleeping {
			out[i].Deadline = r.deadline()
		}
	}
	return out
}

// deadline returns the record's timed-wait deadline, zero if none.
func (r *procRecord) deadline() time.Time {
	if u := r.until.Load(); u != 0 {
		return time.Unix(0, u)
	}
	return time.Time{}
}

// waits lists what the process waits on, from what it recorded when it blocked.
func (r *procRecord) waits() []PendingOp {
	if e := r.waitEnd.Load(); e != nil {
		return []PendingOp{{Channel: e.ch.self, Op: e.dir, end: e}}
	}
	a := r.waitAlt.Load()
	if a == nil {
		return nil
	}
	mask := r.altMask.Load()
	var ws []PendingOp
	for i, b := range a.bases {
		if b.end != nil && mask&(1<<min(i, 63)) != 0 {
			ws = append(ws, PendingOp{Channel: b.end.ch.self, Op: b.end.dir, end: b.end})
		}
	}
	return ws
}

// procRecord is a monitored process's state. Its fields that change while the process runs are
// atomic, because the process, the peers that wake it, and snapshots touch them concurrently.
type procRecord struct {
	m       *Monitor
	root    bool
	id      uint64
	name    string
	proc    *Process
	state   atomic.Int32
	waitEnd atomic.Pointer[endCore]
	waitAlt atomic.Pointer[Alt]
	altMask atomic.Uint64 // enabled guards of waitAlt (first 64), copied when it blocked
	until   atomic.Int64  // a timed wait's deadline in Unix nanoseconds; 0 for an untimed one
	err     error         // guarded by m.mu, set once the process ended
	group   *children     // the parent's Parallel or Sequence this process is run by, if counted so
}

func (m *Monitor) adding(n int) {
	m.live.Add(int64(n))
	m.procs.Add(n)
}

func (m *Monitor) started(p *Process, counted bool) *procRecord {
	if !counted {
		m.adding(1)
	}
	rec := &procRecord{m: m, id: m.nextID.Add(1), name: p.name, proc: p}
	rec.state.Store(int32(StateRunning))
	m.mu.Lock()
	m.recs = append(m.recs, rec)
	m.mu.Unlock()
	for _, e := range p.ends {
		e.end().owner.Store(rec)
	}
	if m.tracer != nil {
		m.emit(Event{Kind: EventStart, Process: rec.ref(), State: StateRunning})
	}
	return rec
}

func (r *procRecord) ref() ProcessRef { return ProcessRef{ID: r.id, Name: r.name, Process: r.proc} }

func (r *procRecord) ended(err error) {
	m := r.m
	st := outcome(err)
	for _, e := range r.proc.owned() {
		e.end().owner.CompareAndSwap(r, nil)
	}
	m.mu.Lock()
	r.err = err
	m.mu.Unlock()
	r.state.Store(int32(st))
	if m.tracer != nil {
		m.emit(Event{Kind: EventEnd, Process: r.ref(), State: st, Err: err})
	}
	if g := r.group; g != nil && g.left.Add(-1) == 0 {
		g.parent.setState(StateRunning) // the parent goes on in this process's place among the live
	} else {
		m.live.Add(-1)
	}
	m.check()
	m.procs.Done()
}

func (r *procRecord) setState(st State) {
	r.state.Store(int32(st))
	if r.m.tracer != nil {
		r.m.emitBlock(r, st)
	}
}

// block records that the process waits on e (a Read or Write) or a (a selection). Called with the
// channel lock(s) held, before the process parks.
func (r *procRecord) block(st State, e *endCore, a *Alt) {
	// A process mostly blocks on the same end or Alt as last time: skipping the unchanged pointer
	// stores (atomic stores with write barriers) keeps observation cheap on the hot path.
	if r.waitEnd.Load() != e {
		r.waitEnd.Store(e)
	}
	if r.waitAlt.Load() != a {
		r.waitAlt.Store(a)
	}
	if a != nil {
		r.altMask.Store(a.enabledMask())
	}
	if r.until.Load() != 0 {
		r.until.Store(0)
	}
	r.setState(st)
	r.m.blocked.Add(1<<32 + 1)
	r.m.check()
}

// unblock records that the process may run again. Called by the peer that completed its operation
// (before that peer can block) or by the process itself when it gave up waiting.
func (r *procRecord) unblock() {
	r.setState(StateRunning)
	r.m.blocked.Add(1<<32 - 1)
}

// timedWait records that the process waits in st (on e, or in the selection a, or in Sleep with
// neither) until at the latest: it will go on by itself, so it shows what it waits on but is
// not counted blocked, and deadlock analysis never blames it.
func (r *procRecord) timedWait(st State, e *endCore, a *Alt, until time.Time) {
	r.waitEnd.Store(e)
	r.waitAlt.Store(a)
	if a != nil {
		r.altMask.Store(a.enabledMask())
	}
	r.until.Store(until.UnixNano())
	r.setState(st)
}

// deadlineOf returns when ctx ends by itself (zero if never), for a timed wait's record.
func deadlineOf(ctx context.Context) time.Time {
	if ctx == nil {
		return time.Time{}
	}
	d, _ := ctx.Deadline()
	return d
}

func (r *procRecord) endTimedWait() { r.setState(StateRunning) }

// children is the run of a Parallel or Sequence by a monitored process, which is not live while it
// waits for them. The last of them to end hands its liveness back to the parent instead of dropping
// it, so that no moment shows the parent and its children all not live while the parent is about
// to go on (a monitor would take that moment for a deadlock if the others were blocked on it).
type children struct {
	parent *procRecord
	left   atomic.Int64
}

// waitChildren marks the process waiting for n children, already counted live, that it runs in
// Parallel or Sequence; it returns what they report their end to, nil for a monitor's root.
func (r *procRecord) waitChildren(n int) *children {
	if r.root {
		return nil
	}
	g := &children{parent: r}
	g.left.Store(int64(n))
	r.setState(StateWaiting)
	r.m.live.Add(-1)
	r.m.check()
	return g
}
