package csp

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// ErrPoisoned is returned by every operation on a poisoned channel. Test for it with errors.Is: the
// error returned by an operation is an *OpError that names the channel.
var ErrPoisoned = errors.New("csp: poisoned")

// ErrRetired is returned by an operation on an end that has retired, by writes once every reader end
// has retired, and by reads once every writer end has retired and the buffer is empty.
var ErrRetired = errors.New("csp: retired")

// ErrNoGuard is returned by a selection in which every guard is disabled by its precondition and
// there is neither a Skip nor a Timeout to fall back on: it would otherwise block forever.
var ErrNoGuard = errors.New("csp: selection has no enabled guard")

// Error texts follow one style, `package: what failed: why`, with the package named once: a
// sentinel carries its package's prefix ("csp: poisoned") so that it reads well alone, and an error
// of this package that wraps another of this package drops the inner prefix (see cause), so that
// a process's failure reads `csp: process "p": read on channel "c": poisoned`.

// OpError reports a channel operation that did not complete. It names the channel and the operation
// so that a failure deep in a network says where it happened.
type OpError struct {
	Op   string // "read", "write" or "select"
	Chan string // the channel's name
	Err  error  // ErrPoisoned, ErrRetired, or the context's error
}

// Error says which operation failed on which channel, and why.
func (e *OpError) Error() string {
	return fmt.Sprintf("csp: %s on channel %q: %s", e.Op, e.Chan, cause(e.Err))
}

// Unwrap returns the cause, so errors.Is(err, ErrPoisoned) works.
func (e *OpError) Unwrap() error { return e.Err }

// ProcessError is a process's failure as Parallel, Sequence and Handle.Wait report it.
type ProcessError struct {
	Process string // the process's name
	Err     error  // what its body returned, or a *PanicError
}

// Error names the process and its failure.
func (e *ProcessError) Error() string {
	return fmt.Sprintf("csp: process %q: %s", e.Process, cause(e.Err))
}

// Unwrap returns the cause.
func (e *ProcessError) Unwrap() error { return e.Err }

// PanicError is a panic recovered from a process body, with the stack where it happened. Its text
// is one line, the panic value, so that a failed network's error prints short; the stack is
// reached through errors.As:
//
//	var pe *csp.PanicError
//	if errors.As(err, &pe) {
//		os.Stderr.Write(pe.Stack)
//	}
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack
}

// Error gives the panic value, on one line; the stack is in Stack.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error, so errors.Is sees through a panic(err).
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// outcome classifies how a process that returned err ended, once, for every place that acts on it:
// StateDone for nil or a retirement (a graceful end: its ends retire), StatePoisoned for poison
// (its ends are poisoned, and it is no failure), StateFailed for anything else (its ends are
// poisoned, and compositions report it). A panic is a failure whatever its value; an error that
// says both poisoned and retired is poison, the stronger signal.
func outcome(err error) State {
	var pe *PanicError
	switch {
	case err == nil:
		return StateDone
	case errors.As(err, &pe):
		return StateFailed
	case errors.Is(err, ErrPoisoned):
		return StatePoisoned
	case errors.Is(err, ErrRetired):
		return StateDone
	}
	return StateFailed
}

// isNil reports whether v is nil or an interface holding a nil pointer (a typed nil), which the
// API's nil checks must catch too.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// HookError is a callback given to a Monitor (its tracer, OnDeadlock) that failed; see Monitor.Err.
type HookError struct {
	Hook string // "tracer" or "OnDeadlock"
	Err  error  // a *PanicError
}

// Error names the callback and its failure.
func (e *HookError) Error() string { return fmt.Sprintf("csp: monitor's %s: %s", e.Hook, cause(e.Err)) }

// cause is err's text for a csp error that wraps it: without the "csp: " that err's own text begins
// with when it is csp's too, so that the package is named once.
func cause(err error) string {
	if err == nil {
		return "<nil>"
	}
	return strings.TrimPrefix(err.Error(), "csp: ")
}

// Unwrap returns the cause.
func (e *HookError) Unwrap() error { return e.Err }
