package csp

import "time"

// Tracer receives a Monitor's events (see WithTracer).
type Tracer interface {
	Trace(Event)
}

// TracerFunc adapts a function to Tracer.
type TracerFunc func(Event)

// Trace calls f(e).
func (f TracerFunc) Trace(e Event) { f(e) }

// EventKind says what happened.
type EventKind uint8

// The kinds of event.
const (
	EventStart    EventKind = iota + 1 // a process started
	EventBlock                         // a process blocked or went to sleep (State, Waits, Deadline)
	EventUnblock                       // a blocked process may run again
	EventEnd                           // a process ended (State, Err)
	EventRead                          // a process read from Channel
	EventWrite                         // a process wrote to Channel
	EventPoison                        // a process poisoned Channel
	EventRetire                        // a process retired an end of Channel
	EventChoice                        // a selection fired guard Guard (Channel, if a channel guard)
	EventDeadlock                      // the monitor found Deadlock
	EventLinkLost                      // the way to remote Channel's home was lost (its transport says)
)

var eventNames = [...]string{"", "proc.start", "proc.block", "proc.unblock", "proc.end", "chan.read",
	"chan.write", "chan.poison", "chan.retire", "alt.choice", "deadlock", "chan.link-lost"}

// String returns the event's name as traces write it ("proc.block", say).
func (k EventKind) String() string {
	if int(k) < len(eventNames) && k > 0 {
		return eventNames[k]
	}
	return "unknown"
}

// Event is one thing that happened in a monitored network.
type Event struct {
	Time     time.Duration // since the monitor's Start
	Kind     EventKind
	Process  ProcessRef
	State    State
	Channel  Channel
	Waits    []PendingOp
	Deadline time.Time // of a timed wait (EventBlock); zero if none
	Guard    int
	Err      error
	Deadlock *Deadlock
}

// emit hands e to the tracer. A tracer that panics is a bug in the tracer, not in the network:
// often called with a channel's lock held, its panic must not unwind through the framework (the
// process would then try to poison that very channel, and hang). It is recovered, kept for Err,
// and the tracer is not called again.
func (m *Monitor) emit(e Event) {
	if m.tracerBroken.Load() {
		return
	}
	defer m.recoverHook("tracer", &m.tracerBroken)
	e.Time = time.Since(m.start)
	m.tracer.Trace(e)
}

func (m *Monitor) emitBlock(r *procRecord, st State) {
	e := Event{Kind: EventUnblock, Process: r.ref(), State: st}
	if st.Blocked() || st == StateSleeping {
		e.Kind, e.Waits, e.Deadline = EventBlock, r.waits(), r.deadline()
	}
	m.emit(e)
}

func (r *procRecord) traceOp(kind EventKind, c *chanCore) {
	r.m.emit(Event{Kind: kind, Process: r.ref(), Channel: c.self})
}

func (r *procRecord) traceChoice(a *Alt, i int, err error) {
	e := Event{Kind: EventChoice, Process: r.ref(), Guard: i, Err: err}
	if b := a.bases[i]; b.end != nil {
		e.Channel = b.end.ch.self
	}
	r.m.emit(e)
}
