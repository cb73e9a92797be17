package csp

// How alternation works, for the next engineer (runtime/select.go does the same at its top).
//
// A selection makes two passes. The first polls each enabled guard in scan order (random for
// Select, index order for PriSelect, from after the last winner for FairSelect) under that guard's
// channel lock alone: nothing of the selection is queued yet, so no peer can fire it meanwhile, and
// a guard found ready completes there. A busy selection so takes one lock, not one per guard. A
// guard on a remote end is looked at there too, with no lock held: its transport asks the home
// whether it can match now, and completes it if so (transport.Extern's TryRead, TryWrite), so that a Skip, a
// Timeout or a later guard is never chosen over a remote guard that was ready.
//
// If nothing was ready, the second pass takes every channel lock in address order (a.locks, the
// global order that makes concurrent selections deadlock-free), polls again so that no guard can
// become ready unseen, then arms the Alt's one signal and queues one waiter per enabled channel
// guard, all pointing at that signal, and parks. A peer that finds one of those waiters claims the
// signal with a CAS (armed to fired, recording the guard's index) under its own channel's lock;
// every other waiter of the selection then fails its claim and is skipped as stale. A timeout or
// the context's end moves the signal from armed to cancelled instead; whoever loses that race
// waits for the winner's token, so an output guard's value is handed over exactly once or not at
// all. After waking, the selection takes every lock again and dequeues its waiters.
//
// Invariants: exactly one party moves the signal out of armed per selection; a channel guard takes
// part in at most one selection at a time (guardBase.inSel: a second panics before touching it);
// an Alt runs one selection at a time (busy); the first pass holds at most one channel lock, the
// second all of them, never a subset.

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"
)

// Guard is one alternative of a selection: Recv, Send, Skip or Timeout. Each may carry a
// precondition (When); a guard whose precondition is false takes no part in that selection.
//
// A guard belongs to one selection at a time. A reused Alt selects over the same guard values again
// and again, which is what makes a selection allocate nothing in the steady state.
type Guard interface {
	base() *guardBase
}

type guardKind uint8

const (
	kindRecv guardKind = iota
	kindSend
	kindSkip
	kindTimeout
)

// guardBase is what every guard has; the channel guards add the typed operations through ops.
type guardBase struct {
	kind     guardKind
	disabled bool
	end      *endCore // nil for Skip and Timeout
	ops      guardOps
	after    time.Duration
	act      func() // Skip's and Timeout's action; the channel guards' fire runs theirs
	// inSel is set while a selection runs over the guard (a channel guard): a second selection
	// that finds it set panics, since the two would share the guard's waiter and value.
	inSel atomic.Bool
}

func (g *guardBase) base() *guardBase { return g }

// guardOps are a channel guard's operations, all called with the channel locked.
type guardOps interface {
	poll(idx int) (ok bool, err error, wake *signal) // complete now if possible; wake: a peer to notify
	enqueue(s *signal, idx int)                      // wait for a peer (never queued elsewhere: inSel)
	dequeue()                                        // stop waiting
	collect()                                        // a peer completed the guard while parked: take its value
	fire()                                           // after the guard fired without error: run the action
	tryExt() (ok bool, err error)                    // a remote guard's first look (extern.go), no lock held
	probeExt() (wait func() (ready bool))            // ask a remote guard's home whether it is ready, no lock held
}

// RecvGuard is an input guard made by Recv.
type RecvGuard[T any] struct {
	guardBase
	r   *Reader[T]
	w   waiter[T]
	val T
	do  func(T)
	xop *externOp[T] // the offer posted to a remote channel's home, while parked on one (extern.go)
}

// Recv makes an input guard on r. When it fires, the value is available from Value and passed to
// the action set by Do, if any.
func Recv[T any](r *Reader[T]) *RecvGuard[T] {
	g := &RecvGuard[T]{r: r}
	g.kind, g.end, g.ops = kindRecv, &r.endCore, g
	g.w.end = &r.endCore
	return g
}

// Do sets an action run with the received value when the guard fires.
func (g *RecvGuard[T]) Do(action func(T)) *RecvGuard[T] { g.do = action; return g }

// When sets the guard's precondition for the selections that follow; false disables it.
func (g *RecvGuard[T]) When(cond bool) *RecvGuard[T] { g.disabled = !cond; return g }

// Value returns the value received the last time the guard fired.
func (g *RecvGuard[T]) Value() T { return g.val }

func (g *RecvGuard[T]) poll(int) (bool, error, *signal) {
	if g.r.c.ext != nil {
		return g.pollExt()
	}
	v, ok, err, wake := g.r.c.recvNow(&g.r.endCore)
	if ok && err == nil {
		g.val = v
	}
	return ok, err, wake
}

func (g *RecvGuard[T]) enqueue(s *signal, idx int) {
	g.w.sig, g.w.idx = s, idx
	if g.r.c.ext != nil {
		g.postExt()
		return
	}
	g.r.c.recvq.push(&g.w)
	g.r.c.kick()
}

func (g *RecvGuard[T]) dequeue() {
	if g.r.c.ext != nil {
		g.withdrawExt()
		return
	}
	g.r.c.recvq.remove(&g.w)
}

func (g *RecvGuard[T]) collect() {
	var zero T
	g.val, g.w.val = g.w.val, zero
	if g.r.c.ext != nil {
		g.r.c.delivered() // here, not by the transport that fired it (externOp.Commit says why)
	}
}

func (g *RecvGuard[T]) fire() {
	if g.do != nil {
		g.do(g.val)
	}
}

// SendGuard is an output guard made by Send.
type SendGuard[T any] struct {
	guardBase
	wr  *Writer[T]
	w   waiter[T]
	v   T
	do  func()
	xop *externOp[T] // the offer posted to a remote channel's home, while parked on one (extern.go)
}

// Send makes an output guard that offers v on w. If the guard fires, v was handed over exactly once;
// if another guard fires, the offer is withdrawn and v was not delivered.
func Send[T any](w *Writer[T], v T) *SendGuard[T] {
	g := &SendGuard[T]{wr: w, v: v}
	g.kind, g.end, g.ops = kindSend, &w.endCore, g
	g.w.end = &w.endCore
	return g
}

// Set changes the value offered by the selections that follow.
func (g *SendGuard[T]) Set(v T) *SendGuard[T] { g.v = v; return g }

// Do sets an action run when the guard fires.
func (g *SendGuard[T]) Do(action func()) *SendGuard[T] { g.do = action; return g }

// When sets the guard's precondition for the selections that follow; false disables it.
func (g *SendGuard[T]) When(cond bool) *SendGuard[T] { g.disabled = !cond; return g }

func (g *SendGuard[T]) poll(int) (bool, error, *signal) {
	if g.wr.c.ext != nil {
		return g.pollExt()
	}
	return g.wr.c.sendNow(&g.wr.endCore, g.v)
}

func (g *SendGuard[T]) enqueue(s *signal, idx int) {
	g.w.sig, g.w.idx, g.w.val = s, idx, g.v
	if g.wr.c.ext != nil {
		g.postExt()
		return
	}
	g.wr.c.sendq.push(&g.w)
	g.wr.c.kick()
}

func (g *SendGuard[T]) dequeue() {
	if g.wr.c.ext != nil {
		g.wr.c.ext.Withdraw(g.xop)
		return
	}
	g.wr.c.sendq.remove(&g.w)
	var zero T
	g.w.val = zero
}

func (g *SendGuard[T]) collect() {
	if g.wr.c.ext != nil {
		g.wr.c.delivered() // here, not by the transport that fired it (externOp.Commit says why)
	}
}

func (g *SendGuard[T]) fire() {
	if g.do != nil {
		g.do()
	}
}

// SkipGuard is a guard that is always ready, made by Skip.
type SkipGuard struct{ guardBase }

// Skip makes a guard that is always ready: with PriSelect and the Skip last, a selection that never
// blocks (a poll).
func Skip() *SkipGuard {
	g := &SkipGuard{}
	g.kind = kindSkip
	return g
}

// Do sets an action run when the guard fires.
func (g *SkipGuard) Do(action func()) *SkipGuard { g.act = action; return g }

// When sets the guard's precondition for the selections that follow; false disables it.
func (g *SkipGuard) When(cond bool) *SkipGuard { g.disabled = !cond; return g }

// TimeoutGuard is a guard that becomes ready after a duration, made by Timeout.
type TimeoutGuard struct{ guardBase }

// Timeout makes a guard that fires if no other guard has fired within d of the selection's start.
// A process waiting in a selection with an enabled Timeout is in a timed wait: a monitor shows it
// alting, with its Deadline, and counts it as live, never as part of a deadlock.
func Timeout(d time.Duration) *TimeoutGuard {
	g := &TimeoutGuard{}
	g.kind, g.after = kindTimeout, d
	return g
}

// Do sets an action run when the guard fires.
func (g *TimeoutGuard) Do(action func()) *TimeoutGuard { g.act = action; return g }

// When sets the guard's precondition for the selections that follow; false disables it.
func (g *TimeoutGuard) When(cond bool) *TimeoutGuard { g.disabled = !cond; return g }

// Set changes the duration for the selections that follow.
func (g *TimeoutGuard) Set(d time.Duration) *TimeoutGuard { g.after = d; return g }

// Alt is a reusable alternation over a fixed list of guards. Reusing one Alt (and changing
// preconditions and offered values on its guards between selections) allocates nothing per
// selection. An Alt is used by one process at a time.
type Alt struct {
	guards []Guard
	bases  []*guardBase
	locks  []*chanCore // each channel once, in address order, so concurrent selections cannot deadlock
	sig    signal
	busy   atomic.Bool // a selection is under way: a second goroutine using the Alt is a misuse
	next   int         // where FairSelect starts scanning
	timer  *time.Timer
	rng    *rand.PCG
	remote bool // a guard is on a remote end: parked, it waits on another node (live, not blocked)
	// notReady[i] says that guard i's home answered a probe of this look with not ready (remote
	// guards only; see scan).
	notReady []bool
}

// NewAlt makes an alternation over guards. The guard indices that selections return are positions
// in this list. It panics if a guard is nil or listed twice: a guard is one alternative, and its
// waiting state can stand in one place only.
func NewAlt(guards ...Guard) *Alt {
	a := &Alt{guards: slices.Clone(guards)}
	a.sig.init()
	for i, g := range a.guards {
		if isNil(g) {
			panic(fmt.Sprintf("csp: NewAlt: guard %d is nil", i))
		}
		b := g.base()
		if j := slices.Index(a.bases, b); j >= 0 {
			panic(fmt.Sprintf("csp: NewAlt: guards %d and %d are the same guard; make one guard per alternative", j, i))
		}
		a.bases = append(a.bases, b)
		if b.end != nil && !slices.Contains(a.locks, b.end.ch) {
			a.locks = append(a.locks, b.end.ch)
			a.remote = a.remote || b.end.ch.remote
		}
	}
	if a.remote {
		a.notReady = make([]bool, len(a.bases))
	}
	slices.SortFunc(a.locks, func(x, y *chanCore) int {
		return cmp.Compare(uintptr(unsafe.Pointer(x)), uintptr(unsafe.Pointer(y)))
	})
	return a
}

type mode uint8

const (
	modeAny mode = iota
	modePri
	modeFair
)

// Select waits until at least one enabled guard is ready and fires one of them, chosen arbitrarily.
// It returns the fired guard's index. A guard on a poisoned or retired channel ends the selection
// with its index and ErrPoisoned or ErrRetired.
func (a *Alt) Select() (int, error) { return a.choose(nil, modeAny) }

// SelectContext is Select that gives up when ctx ends, returning ctx's error.
func (a *Alt) SelectContext(ctx context.Context) (int, error) { return a.choose(ctx, modeAny) }

// PriSelect is Select that, of the guards ready, fires the first in index order.
func (a *Alt) PriSelect() (int, error) { return a.choose(nil, modePri) }

// PriSelectContext is PriSelect that gives up when ctx ends, returning ctx's error.
func (a *Alt) PriSelectContext(ctx context.Context) (int, error) { return a.choose(ctx, modePri) }

// FairSelect is Select that, over repeated selections of this Alt, gives the ready guards turns:
// it scans from the guard after the one that last fired, so a guard that is ready every time
// waits at most len(guards)-1 selections. Fairness is a property of repeated selections, so it has
// no one-shot form.
func (a *Alt) FairSelect() (int, error) { return a.choose(nil, modeFair) }

// FairSelectContext is FairSelect that gives up when ctx ends, returning ctx's error.
func (a *Alt) FairSelectContext(ctx context.Context) (int, error) { return a.choose(ctx, modeFair) }

// Select is a one-shot arbitrary selection over guards (see Alt.Select).
func Select(guards ...Guard) (int, error) { return NewAlt(guards...).choose(nil, modeAny) }

// SelectContext is Select that gives up when ctx ends.
func SelectContext(ctx context.Context, guards ...Guard) (int, error) {
	return NewAlt(guards...).choose(ctx, modeAny)
}

// PriSelect is a one-shot prioritised selection over guards (see Alt.PriSelect).
func PriSelect(guards ...Guard) (int, error) { return NewAlt(guards...).choose(nil, modePri) }

// PriSelectContext is PriSelect that gives up when ctx ends.
func PriSelectContext(ctx context.Context, guards ...Guard) (int, error) {
	return NewAlt(guards...).choose(ctx, modePri)
}

func (a *Alt) lock() {
	for _, c := range a.locks {
		c.mu.Lock()
	}
}

func (a *Alt) unlock() {
	for _, c := range a.locks {
		c.mu.Unlock()
	}
}

func (a *Alt) owner() *procRecord {
	for _, b := range a.bases {
		if b.end != nil {
			if rec := b.end.owner.Load(); rec != nil {
				return rec
			}
		}
	}
	return nil
}

// choose runs one selection and then the fired guard's action, outside the selection, so that an
// action may itself select on the same Alt.
func (a *Alt) choose(ctx context.Context, m mode) (int, error) {
	if !a.busy.CompareAndSwap(false, true) {
		panic("csp: an Alt used by two goroutines at once, or from inside one of its own selections: an Alt belongs to one process (make one Alt per process)")
	}
	a.enter()
	i, err := a.selectOne(ctx, m)
	a.leave(len(a.bases))
	a.busy.Store(false)
	if err == nil {
		b := a.bases[i]
		switch {
		case b.ops != nil:
			b.ops.fire()
		case b.act != nil:
			b.act()
		}
	}
	return i, err
}

// enter marks the Alt's channel guards as in a selection, and panics if one is in another
// selection already (two Alts over one guard, run at once): caught here, before either touches
// the guard, even when both would complete at once without queueing anything.
func (a *Alt) enter() {
	for i, b := range a.bases {
		if b.end != nil && !b.inSel.CompareAndSwap(false, true) {
			a.leave(i)
			a.busy.Store(false)
			panic(fmt.Sprintf("csp: guard %d (on channel %q) is in another selection running at the same time: a guard belongs to one selection at a time, and two selections at once would share its value (make one guard per selection)", i, b.end.ch.Name()))
		}
	}
}

// leave unmarks the first n guards.
func (a *Alt) leave(n int) {
	for _, b := range a.bases[:n] {
		if b.end != nil {
			b.inSel.Store(false)
		}
	}
}

func (a *Alt) selectOne(ctx context.Context, m mode) (int, error) {
	n := len(a.bases)
	start := 0
	switch m {
	case modeAny:
		if n > 1 {
			if a.rng == nil {
				a.rng = rand.NewPCG(rand.Uint64(), rand.Uint64())
			}
			start = int(a.rng.Uint64() % uint64(n))
		}
	case modeFair:
		start = a.next
	}
	rec := a.owner()    // once per selection: for the monitor if it blocks, for the tracer when it fires
	var began time.Time // when a Timeout guard's clock started, kept across attempts
	for {
		if i, err := a.attempt(ctx, start, rec, &began); i != retry {
			return i, err
		}
	}
}

// attempt is one look at the guards and, if none is ready, one wait. It returns retry when the
// selection must look again: a transport held it while a peer passed it by (extern.go), and
// released it, so a guard may be ready that no peer will now fire.
func (a *Alt) attempt(ctx context.Context, start int, rec *procRecord, began *time.Time) (int, error) {
	// First pass, one channel at a time: nothing of ours is queued yet, so no peer can fire this
	// selection meanwhile, and a guard found ready completes under its own channel's lock alone. A
	// busy selection (its guards often ready) so takes one lock, not one per guard.
	i, err, wake, timeout, enabled := a.scan(start, true)
	if i < 0 && enabled && timeout >= 0 && a.left(timeout, *began) <= 0 {
		i = timeout
	}
	if i >= 0 {
		if wake != nil {
			wake.notify()
		}
		return a.fired(rec, i, err)
	}
	if !enabled {
		return -1, &OpError{Op: "select", Chan: a.chanNames(), Err: ErrNoGuard}
	}
	// Nothing was ready: look again holding every lock, so that no guard can become ready
	// unseen between this look and queueing on all the channels.
	a.lock()
	if i, err, wake, timeout, _ = a.scan(start, false); i >= 0 {
		a.unlock()
		if wake != nil {
			wake.notify()
		}
		return a.fired(rec, i, err)
	}
	var timer <-chan time.Time
	if timeout >= 0 {
		if began.IsZero() {
			*began = time.Now()
		}
		d := a.left(timeout, *began)
		if a.timer == nil {
			a.timer = time.NewTimer(d)
		} else {
			a.timer.Reset(d)
		}
		timer = a.timer.C
	}
	// A selection that can time out (a Timeout guard, or a context with a deadline) is a timed
	// wait, not blocked: its signal carries no record, so a peer that wakes it does not count it
	// as unblocked, and the record is updated here instead.
	s := &a.sig
	// A selection with a remote guard waits on another node: live, never part of a deadlock here.
	timed := timeout >= 0 || (rec != nil && hasDeadline(ctx)) || a.remote
	sel := timer != nil || (ctx != nil && ctx.Done() != nil)
	if timed {
		s.arm(nil, nil, sel)
	} else {
		s.arm(rec, ctx, sel)
	}
	for i, b := range a.bases {
		if !b.disabled && b.end != nil {
			b.ops.enqueue(s, i) // enter made sure no other selection has it queued
		}
	}
	if rec != nil {
		if timed {
			until := deadlineOf(ctx)
			if timeout >= 0 {
				if t := began.Add(a.bases[timeout].after); until.IsZero() || t.Before(until) {
					until = t
				}
			}
			rec.timedWait(StateAlting, nil, a, until)
		} else {
			rec.block(StateAlting, nil, a)
		}
	}
	a.unlock()
	woken, timedOut := s.park(ctx, timer)
	if a.timer != nil {
		a.timer.Stop()
	}
	a.lock()
	for _, b := range a.bases {
		if !b.disabled && b.end != nil {
			b.ops.dequeue()
		}
	}
	a.unlock()
	s.done()
	again := woken && s.fired == retry
	if rec != nil {
		if timed {
			rec.endTimedWait()
		} else if !woken || again {
			rec.unblock()
		}
	}
	switch {
	case again:
		return retry, nil
	case woken:
		if s.err == nil {
			a.bases[s.fired].ops.collect()
		}
		return a.fired(rec, s.fired, s.err)
	case timedOut:
		return a.fired(rec, timeout, nil)
	default:
		return -1, &OpError{Op: "select", Chan: a.chanNames(), Err: ctx.Err()}
	}
}

// left is how long the Timeout guard t still has to run, its clock having started at began (zero:
// not yet started).
func (a *Alt) left(t int, began time.Time) time.Duration {
	d := a.bases[t].after
	if !began.IsZero() {
		d -= time.Since(began)
	}
	return d
}

// scan looks for a ready guard in scan order from start and returns its index (-1 if none), the
// error it ended with, and a peer it completed, to be woken once no lock is held. It also returns
// the enabled Timeout with the shortest duration (-1 if none) and whether any guard is enabled.
// With single it locks each channel in turn; otherwise the caller holds every lock.
func (a *Alt) scan(start int, single bool) (idx int, err error, wake *signal, timeout int, enabled bool) {
	n := len(a.bases)
	timeout = -1
	probed := false
	for k := 0; k < n; k++ {
		i := start + k
		if i >= n {
			i -= n
		}
		b := a.bases[i]
		if b.disabled {
			continue
		}
		enabled = true
		switch b.kind {
		case kindSkip:
			return i, nil, nil, timeout, true
		case kindTimeout:
			if timeout < 0 || b.after < a.bases[timeout].after {
				timeout = i
			}
		default:
			if single && b.end.ch.remote {
				// A remote guard's readiness is known at its home: ask it now, in scan order,
				// before a Skip, a Timeout or a later guard can be chosen over it. With more
				// remote guards still to look at, ask all their homes at once first (one round
				// trip), and try only those that said ready.
				var ok bool
				var err error
				switch {
				case !probed:
					probed = true
					ok, err = a.look(start, k)
				case a.notReady[i]:
				default:
					ok, err = b.ops.tryExt()
				}
				if ok {
					return i, err, nil, timeout, true
				}
				continue
			}
			if single {
				b.end.ch.mu.Lock()
			}
			ok, err, wake := b.ops.poll(i)
			if single {
				b.end.ch.mu.Unlock()
			}
			if ok {
				return i, err, wake, timeout, true
			}
		}
	}
	return -1, nil, nil, timeout, enabled
}

// look is the first look at a remote guard, the one at scan position k: it tries that guard and,
// in the same round trip, asks the homes of the enabled remote guards after it whether each is
// ready now (probes, which change nothing), recording the answers in notReady so that the scan
// tries only those that said ready. A guard on an end already asked about is not probed (an end
// has one operation at a time): it is tried when the scan reaches it.
func (a *Alt) look(start, k int) (bool, error) {
	n := len(a.bases)
	at := func(k int) int {
		if i := start + k; i < n {
			return i
		}
		return start + k - n
	}
	first := a.bases[at(k)]
	var idx []int
	for p := k + 1; p < n; p++ {
		i := at(p)
		a.notReady[i] = false
		b := a.bases[i]
		if b.disabled || b.end == nil || !b.end.ch.remote || b.end == first.end ||
			slices.ContainsFunc(idx, func(j int) bool { return a.bases[j].end == b.end }) {
			continue
		}
		idx = append(idx, i)
	}
	var waits []func() bool
	for _, i := range idx {
		waits = append(waits, a.bases[i].ops.probeExt())
	}
	ok, err := first.ops.tryExt()
	for j, i := range idx {
		a.notReady[i] = !waits[j]()
	}
	return ok, err
}

// fired completes a selection of the process rec (nil if unobserved): it records the choice for
// FairSelect and traces it; choose then runs the guard's action.
func (a *Alt) fired(rec *procRecord, i int, err error) (int, error) {
	a.next = i + 1
	if a.next == len(a.bases) {
		a.next = 0
	}
	b := a.bases[i]
	if rec != nil && rec.m.tracer != nil {
		rec.traceChoice(a, i, err)
	}
	if err != nil {
		return i, &OpError{Op: "select", Chan: b.end.ch.Name(), Err: err}
	}
	return i, nil
}

func (a *Alt) chanNames() string {
	var names []byte
	for _, c := range a.locks {
		if len(names) > 0 {
			names = append(names, ", "...)
		}
		names = append(names, c.Name()...)
	}
	return string(names)
}

// enabledMask has bit i set when guard i is enabled (guards past 63 share bit 63); monitors record
// it when the selection blocks, to say what it waits on.
func (a *Alt) enabledMask() uint64 {
	var mask uint64
	for i, b := range a.bases {
		if i >= 64 || !b.disabled {
			mask |= 1 << min(i, 63)
		}
	}
	return mask
}
