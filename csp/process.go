package csp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
)

// Process is a named sequential piece of work and the ends it owns. Make one with Proc and run it
// with Parallel, Sequence or Spawn. A Process value may be run more than once, but not twice at once.
type Process struct {
	name  string
	kind  string
	attrs map[string]string
	body  func(ctx context.Context) error
	ends  []End
	keep  []bool // keep[i]: ends[i] is not retired when the body returns nil (KeepOpen)

	// The current (or last) run's: the context it runs under, whether it is still running (Own
	// refuses once it is not), and the ends it adopted with Own, made by the first Own. A Process
	// never runs twice at once, so one of each serves.
	runCtx  context.Context
	running atomic.Bool
	runs    atomic.Uint64 // unobserved runs so far: a runToken names one of them
	own     atomic.Pointer[adoption]
}

// adoption holds the ends a run adopted. The run's goroutine appends under mu; a cancelling
// Parallel and monitor snapshots read under it.
type adoption struct {
	mu   sync.Mutex
	ends []End
	keep []bool
}

// adopt makes the run own ends; false if the run has ended. The check is made under the
// adoption's lock, and finish stops the run before it reads the adopted ends under that lock, so
// an end is either adopted and settled with the others or refused, never adopted and forgotten.
func (p *Process) adopt(ends []End, rec *procRecord) bool {
	a := p.own.Load()
	if a == nil {
		p.own.CompareAndSwap(nil, &adoption{})
		a = p.own.Load()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !p.running.Load() {
		return false
	}
	for _, e := range ends {
		keep := false
		if k, ok := e.(keepOpen); ok {
			e, keep = k.End, true
		}
		a.ends = append(a.ends, e)
		a.keep = append(a.keep, keep)
		if rec != nil {
			e.end().owner.Store(rec)
		}
	}
	return true
}

// adopted returns the ends the current (or last) run adopted, and which of them to keep open.
func (p *Process) adopted() (ends []End, keep []bool) {
	a := p.own.Load()
	if a == nil {
		return nil, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clip(a.ends), slices.Clip(a.keep)
}

// owned returns every end the process owns in its current (or last) run: those it was made with,
// then those it adopted.
func (p *Process) owned() []End {
	ends, _ := p.adopted()
	if len(ends) == 0 {
		return p.ends
	}
	return append(slices.Clip(p.ends), ends...)
}

// Proc makes a process. When body returns nil, or an error that errors.Is ErrRetired (it ended
// because a channel it used retired), the framework retires the ends the process owns; when it
// returns any other error (ErrPoisoned included) or panics, it poisons them. So a producer that
// finishes drains its pipeline, a worker that returns the ErrRetired its Read gave passes the
// retirement on without poisoning what its siblings still write, and a failure shuts the network
// down instead of hanging it. Wrap an end in KeepOpen to keep it open after a graceful end. Ends
// that are not listed are left alone.
//
// Proc panics if body is nil or an end is nil: both are mistakes that would otherwise surface
// later, far from their cause.
func Proc(name string, body func(ctx context.Context) error, ends ...End) *Process {
	if body == nil {
		panic(fmt.Sprintf("csp: Proc(%q): nil body", name))
	}
	p := &Process{name: name, body: body}
	if len(ends) > 0 {
		p.ends = make([]End, len(ends))
		for i, e := range ends {
			if isNil(e) {
				panic(fmt.Sprintf("csp: Proc(%q): end %d is nil", name, i))
			}
			if k, ok := e.(keepOpen); ok {
				if p.keep == nil {
					p.keep = make([]bool, len(ends))
				}
				p.keep[i], e = true, k.End
			}
			p.ends[i] = e
		}
	}
	return p
}

// Name returns the process's name.
func (p *Process) Name() string { return p.name }

// SetKind records what the process is an instance of (a component's name, say) for topologies and
// viewers, and returns p.
func (p *Process) SetKind(kind string) *Process { p.kind = kind; return p }

// Kind returns what SetKind recorded, or "".
func (p *Process) Kind() string { return p.kind }

// SetAttr records a descriptive attribute (a component's parameter, say) for topologies and
// viewers, and returns p. Attributes describe; they change nothing about how the process runs.
func (p *Process) SetAttr(key, value string) *Process {
	if p.attrs == nil {
		p.attrs = make(map[string]string)
	}
	p.attrs[key] = value
	return p
}

// Attrs returns a copy of the attributes SetAttr recorded, or nil.
func (p *Process) Attrs() map[string]string { return maps.Clone(p.attrs) }

// Ends returns the ends the process owns.
func (p *Process) Ends() []End { return p.ends }

// run runs the body and applies ownership. counted says whether the caller already counted the
// process as live in its monitor (Parallel and Spawn do, before the goroutine starts, so that a
// monitor never sees a moment with the parent waiting and the children not yet counted).
//
// g is the waiting parent's Parallel or Sequence the process is one of, if any.
//
// The body's context names the process, so that Own can find it: by its monitor record when
// observed, else by the Process itself, which costs no allocation beyond the context's.
//
// outer is the context whose end poisons the process's ends (the composition's own; ctx may be
// derived from it by CancelOnFailure): Own poisons what it adopts after that has happened.
func (p *Process) run(ctx, outer context.Context, counted bool, g *children) (err error) {
	if !p.running.CompareAndSwap(false, true) {
		panic(fmt.Sprintf("csp: process %q is already running: a Process runs once at a time (make one per run with Proc)", p.name))
	}
	p.runCtx = outer
	p.own.Store(nil)
	var rec *procRecord
	if parent := observer(ctx); parent != nil {
		rec = parent.m.started(p, counted)
		rec.group = g
		ctx = context.WithValue(ctx, scopeKey{}, rec)
	} else {
		ctx = context.WithValue(ctx, scopeKey{}, runToken{p, p.runs.Add(1)})
	}
	returned := false
	defer p.finish(rec, &err, &returned)
	err = p.body(ctx)
	returned = true
	return err
}

func (p *Process) finish(rec *procRecord, errp *error, returned *bool) {
	if r := recover(); r != nil {
		*errp = &PanicError{Value: r, Stack: debug.Stack()}
	} else if !*returned {
		// runtime.Goexit (t.FailNow in a test's process, say): the body neither returned nor
		// panicked. It did not end well, so its ends are poisoned, not retired.
		*errp = &PanicError{Value: "runtime.Goexit called in the process body", Stack: debug.Stack()}
	}
	p.running.Store(false)
	err := *errp
	poison := outcome(err) != StateDone
	settle := func(e End, keep bool) {
		if poison {
			e.Poison()
		} else if !keep {
			e.Retire()
		}
	}
	for i, e := range p.ends {
		settle(e, p.keep != nil && p.keep[i])
	}
	adopted, keep := p.adopted()
	for i, e := range adopted {
		settle(e, keep[i])
	}
	if rec != nil {
		rec.ended(err)
	}
}

// runToken is what an unobserved run's context carries, so that Own can tell the current run from
// an earlier run of the same Process (an observed run's record does that for observed ones).
type runToken struct {
	p   *Process
	run uint64
}

// ErrNotProcess is returned by Own when its context is not a running process's: not one a process
// body received, or one whose process has already ended.
var ErrNotProcess = errors.New("csp: context is not a running process's (Own needs the ctx a process body receives, while the body runs)")

// Own makes the process whose body received ctx the owner of ends it made or was handed while
// running — the channel to a child it spawns, say. They are retired or poisoned with its other ends
// when it ends (KeepOpen works here too), and monitors attribute them to it.
func Own(ctx context.Context, ends ...End) error {
	var p *Process
	rec := scopeFrom(ctx)
	if rec != nil && !rec.root {
		p = rec.proc
		if st := State(rec.state.Load()); st == StateDone || st == StatePoisoned || st == StateFailed {
			return ErrNotProcess // the context of an earlier run that has ended
		}
	} else if ctx != nil {
		if tok, ok := ctx.Value(scopeKey{}).(runToken); ok && tok.run == tok.p.runs.Load() {
			p = tok.p
		}
	}
	if p == nil {
		return ErrNotProcess
	}
	if rec != nil && rec.root {
		rec = nil
	}
	for i, e := range ends {
		if isNil(e) {
			panic(fmt.Sprintf("csp: Own: end %d is nil", i))
		}
	}
	if !p.adopt(ends, rec) {
		return ErrNotProcess
	}
	// A cancellation of the composition that came before poisoned the process's ends without
	// these: poison them too.
	if p.runCtx.Err() != nil {
		for _, e := range ends {
			if k, ok := e.(keepOpen); ok {
				e = k.End
			}
			e.Poison()
		}
	}
	return nil
}

// Parallel runs the processes concurrently and waits for all of them. It returns nil when each
// ended normally or by poison or retirement, and otherwise the failures joined with errors.Join,
// each a *ProcessError naming its process.
func Parallel(procs ...*Process) error { return ParallelContext(context.Background(), procs...) }

// ParallelContext is Parallel under ctx: the processes' bodies get a context derived from ctx, and
// when ctx ends every end the processes own is poisoned, which shuts the network down. If ctx ended
// before the processes did, ctx's error is among those returned, and errors the processes returned
// because of it (ctx's own error, poison) are not counted as their failures.
func ParallelContext(ctx context.Context, procs ...*Process) error {
	if len(procs) == 0 {
		return nil
	}
	mustProcs("Parallel", procs)
	cancelled := poisonOnCancel(ctx, procs)
	parent := observer(ctx)
	var g *children
	if parent != nil {
		parent.m.adding(len(procs))
		g = parent.waitChildren(len(procs))
	}
	run, stop := ctx, context.CancelCauseFunc(nil)
	if ctx.Value(failFastKey{}) != nil {
		run, stop = context.WithCancelCause(ctx)
		defer stop(nil)
	}
	errs := make([]error, len(procs))
	var first atomic.Int64 // 1 + the index of the process whose failure stopped the others
	runOne := func(i int) {
		errs[i] = procs[i].run(run, ctx, parent != nil, g)
		if stop != nil && outcome(errs[i]) == StateFailed && first.CompareAndSwap(0, int64(i)+1) {
			stop(&ProcessError{Process: procs[i].name, Err: errs[i]})
		}
	}
	var wg sync.WaitGroup
	wg.Add(len(procs) - 1)
	for i := 1; i < len(procs); i++ {
		go func() {
			defer wg.Done()
			runOne(i)
		}()
	}
	runOne(0)
	wg.Wait() // the last process to end has made the parent live again
	if k := int(first.Load()) - 1; k >= 0 && ctx.Err() == nil {
		// Stopped by process k's failure: the others' context errors, and the cause they passed on
		// (a nested Parallel reports it too), are its echo, not failures of their own.
		cause := context.Cause(run)
		for i, err := range errs {
			if i != k && (errors.Is(err, context.Canceled) || errors.Is(err, cause)) {
				errs[i] = nil
			}
		}
	}
	return failures(ctx, cancelled(), procs, errs)
}

type failFastKey struct{}

// CancelOnFailure returns a copy of ctx under which Parallel stops early on failure, as
// errgroup.WithContext does: when one of its processes fails (returns an error other than poison
// or retirement, or panics), the context the others run under is cancelled with that failure as
// its cause (context.Cause), so that siblings waiting on their context, not on a channel, stop
// too. Their context errors are then not reported as failures of their own. Poison still spreads
// through channels as always; this reaches what channels cannot. Nested compositions under the
// context behave the same.
func CancelOnFailure(ctx context.Context) context.Context {
	return context.WithValue(ctx, failFastKey{}, true)
}

// poisonOnCancel poisons the processes' ends when ctx ends. The function it returns stops that,
// waits for a poisoning already under way (so none outlives the composition), and reports whether
// ctx ended: then an error a process returned because of it is no failure of its own.
func poisonOnCancel(ctx context.Context, procs []*Process) (cancelled func() bool) {
	if ctx.Done() == nil {
		return func() bool { return false }
	}
	ran := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(ran)
		poisonAll(procs)
	})
	return func() bool {
		if !stop() {
			<-ran
		}
		return ctx.Err() != nil
	}
}

func poisonAll(procs []*Process) {
	for _, p := range procs {
		for _, e := range p.owned() {
			e.Poison()
		}
	}
}

// failures turns the processes' results into Parallel's error.
func failures(ctx context.Context, cancelled bool, procs []*Process, errs []error) error {
	var fs []error
	if cancelled {
		fs = append(fs, context.Cause(ctx))
	}
	for i, err := range errs {
		if err == nil || (cancelled && errors.Is(err, ctx.Err())) {
			continue
		}
		if outcome(err) != StateFailed {
			continue
		}
		fs = append(fs, &ProcessError{Process: procs[i].name, Err: err})
	}
	return errors.Join(fs...)
}

// Sequence runs the processes one after another in the calling goroutine. It stops at the first
// that does not return nil; it returns that process's failure, or nil if it ended by poison or
// retirement (or every process returned nil).
func Sequence(procs ...*Process) error { return SequenceContext(context.Background(), procs...) }

// SequenceContext is Sequence under ctx; when ctx ends, the ends of all the processes are poisoned.
func SequenceContext(ctx context.Context, procs ...*Process) error {
	mustProcs("Sequence", procs)
	cancelled := poisonOnCancel(ctx, procs)
	parent := observer(ctx)
	for _, p := range procs {
		// Each process is counted live before the parent stops being, and makes it live again as
		// it ends, so that the monitor never sees a gap between the steps.
		var g *children
		if parent != nil {
			parent.m.adding(1)
			g = parent.waitChildren(1)
		}
		if err := p.run(ctx, ctx, parent != nil, g); err != nil {
			return failures(ctx, cancelled(), []*Process{p}, []error{err})
		}
	}
	return failures(ctx, cancelled(), nil, nil)
}

// Handle is a spawned process, to wait on.
type Handle struct {
	done chan struct{}
	err  error
}

// Spawn starts p in its own goroutine and returns at once. The process takes part in the network
// of the caller only through its ends; use SpawnContext inside a process body so that a Monitor
// observing the caller observes the spawned process too.
func Spawn(p *Process) *Handle { return SpawnContext(context.Background(), p) }

// SpawnContext is Spawn under ctx: the body gets a context derived from ctx, and when ctx ends the
// process's ends are poisoned.
func SpawnContext(ctx context.Context, p *Process) *Handle {
	mustProcs("Spawn", []*Process{p})
	h := &Handle{done: make(chan struct{})}
	parent := observer(ctx)
	if parent != nil {
		parent.m.adding(1)
	}
	go func() {
		defer close(h.done)
		procs := []*Process{p}
		cancelled := poisonOnCancel(ctx, procs)
		err := p.run(ctx, ctx, parent != nil, nil)
		h.err = failures(ctx, cancelled(), procs, []error{err})
	}()
	return h
}

// Wait waits for the process to end and returns its failure, or nil if it ended normally or by
// poison or retirement.
func (h *Handle) Wait() error {
	<-h.done
	return h.err
}

// Done is closed when the process has ended.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Replicate makes n processes with proc(0) … proc(n-1), for a replicated PAR:
// Parallel(Replicate(n, worker)...).
func Replicate(n int, proc func(i int) *Process) []*Process {
	ps := make([]*Process, n)
	for i := range ps {
		ps[i] = proc(i)
	}
	return ps
}

// mustProcs panics, naming the call and the position, if a process is nil: caught here, not as a
// nil dereference in a goroutine the caller never sees.
func mustProcs(call string, procs []*Process) {
	for i, p := range procs {
		if p == nil {
			panic(fmt.Sprintf("csp: %s: process %d is nil", call, i))
		}
	}
}
