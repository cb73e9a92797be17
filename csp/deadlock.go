package csp

import (
	"fmt"
	"slices"
	"strings"
)

// Deadlock is what a Monitor found when every live process was blocked on channel operations that
// no live process could complete. Blocked lists every blocked process with what it waits on and who
// could have completed it; the wait-for graph (process → peers) contains the cycles.
type Deadlock struct {
	Blocked []ProcessInfo
}

// String lists each blocked process with the operations it waits on.
func (d *Deadlock) String() string {
	var b strings.Builder
	b.WriteString("deadlock:")
	for _, p := range d.Blocked {
		for _, w := range p.Waits {
			fmt.Fprintf(&b, " %s %ss %s;", p.Name, w.Op, w.Channel.Name())
		}
	}
	return strings.TrimSuffix(b.String(), ";")
}

// check starts a deadlock analysis when the counters say every live process is blocked. The
// counters are exact (a waker counts its peer unblocked before it can block itself), so this is
// only a candidate because ends held outside the monitor might still complete an operation.
func (m *Monitor) check() {
	if !m.candidate() || m.deadlock.Load() != nil {
		return
	}
	if !m.checking.CompareAndSwap(false, true) {
		return
	}
	m.checks.Add(1)
	go m.analyze()
}

func (m *Monitor) candidate() bool {
	v, live := m.blocked.Load(), m.live.Load()
	return live > 0 && int64(uint32(v)) == live && !(v == m.lastClean.Load() && live == m.lastLive.Load())
}

func (m *Monitor) analyze() {
	defer m.checks.Done()
	for {
		for m.candidate() {
			v, live := m.blocked.Load(), m.live.Load()
			d := m.stuck(live)
			if m.blocked.Load() != v || m.live.Load() != live {
				continue // something moved while we looked: look again
			}
			if d != nil {
				m.declare(d)
				return
			}
			m.lastClean.Store(v) // stable, but an outside end can still act
			m.lastLive.Store(live)
		}
		m.checking.Store(false)
		// A trigger that came while we looked found checking set and left it to us.
		if !m.candidate() || !m.checking.CompareAndSwap(false, true) {
			return
		}
	}
}

// stuck returns the deadlock if every live process is blocked, each in a wait that is really
// pending, on channel operations that only processes of this monitor, themselves blocked, could
// complete; nil otherwise.
//
// The counters that made this a candidate are exact but are updated apart from the states and
// signals read here, so stuck checks the picture it reads for consistency with them: exactly live
// processes show a blocked state, and each one's signal is still armed for that wait (not fired by
// a peer, not withdrawn on cancellation) under a context that has not ended. A process caught
// between its wake and its bookkeeping fails one of these, and analyze, which also checks that the
// counters did not move meanwhile, then looks again instead of reporting.
func (m *Monitor) stuck(live int64) *Deadlock {
	m.mu.Lock()
	recs := slices.Clone(m.recs)
	m.mu.Unlock()
	d := &Deadlock{}
	blocked := make(map[*procRecord]bool)
	for _, r := range recs {
		st := State(r.state.Load())
		if !st.Blocked() {
			continue
		}
		ws := r.waits()
		if len(ws) == 0 || !r.pending(ws[0].end.ch) {
			return nil
		}
		blocked[r] = true
		d.Blocked = append(d.Blocked, ProcessInfo{ProcessRef: r.ref(), State: st, Waits: ws, Ends: r.proc.owned()})
	}
	// live is read apart from the candidate check: by now every process may have ended (live 0,
	// nothing blocked), which is no deadlock.
	if live <= 0 || int64(len(d.Blocked)) != live {
		return nil
	}
	for _, p := range d.Blocked {
		for i := range p.Waits {
			peers, ok := m.peers(p.Waits[i].end, blocked)
			if !ok {
				return nil
			}
			p.Waits[i].Peers = peers
		}
	}
	return d
}

// pending reports whether the process is parked in the wait it recorded and cannot go on by
// itself: its signal is armed for it and its context, if any, has not ended. c is a channel of
// that wait, whose lock orders this read after the arming.
func (r *procRecord) pending(c *chanCore) bool {
	var s *signal
	if e := r.waitEnd.Load(); e != nil {
		s = e.sig
	} else if a := r.waitAlt.Load(); a != nil {
		s = &a.sig
	} else {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.state.Load() == armed && s.rec == r && (s.ctx == nil || s.ctx.Err() == nil)
}

// peers lists the owners of the live ends on the other side of e's channel. ok is false if one of
// them could still complete the operation: an end no process of this monitor owns (it may act at
// any time), or one whose owner is live and not among the blocked.
func (m *Monitor) peers(e *endCore, blocked map[*procRecord]bool) (peers []ProcessRef, ok bool) {
	c := e.ch
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.ends {
		if o.dir == e.dir || o.retired {
			continue
		}
		owner := o.owner.Load()
		if owner == nil || owner.m != m {
			return nil, false
		}
		if !blocked[owner] && State(owner.state.Load()) != StateWaiting {
			return nil, false
		}
		if !slices.Contains(peers, owner.ref()) {
			peers = append(peers, owner.ref())
		}
	}
	return peers, true
}

func (m *Monitor) declare(d *Deadlock) {
	m.deadlock.Store(d)
	if m.tracer != nil {
		m.emit(Event{Kind: EventDeadlock, Deadlock: d})
	}
	if m.onDeadlock != nil {
		func() {
			defer m.recoverHook("OnDeadlock", nil)
			m.onDeadlock(d)
		}()
	}
	for _, p := range d.Blocked {
		for _, w := range p.Waits {
			w.Channel.Poison()
		}
	}
}
