package graphs

import (
	"github.com/gocsp/gocsp/graphs/format"
	"slices"
	"sort"
	"time"

	"github.com/gocsp/gocsp/csp"
)

// Snapshot is a network's live state at one moment (format.Snapshot).
type Snapshot = format.Snapshot

// ProcState is one process in a snapshot.
//
// Deprecated: use format.ProcessState.
type ProcState = format.ProcessState

// EndJSON is an end the topology cannot list.
//
// Deprecated: use format.OwnedEnd.
type EndJSON = format.OwnedEnd

// WaitJSON is one channel operation a blocked process waits on.
//
// Deprecated: use format.Wait.
type WaitJSON = format.Wait

// ChanState is one channel in a snapshot.
//
// Deprecated: use format.ChannelState.
type ChanState = format.ChannelState

// DeadlockState is a deadlock as snapshots and traces carry it.
//
// Deprecated: use format.Deadlock.
type DeadlockState = format.Deadlock

// StepJSON is one step of a wait-for cycle.
//
// Deprecated: use format.Step.
type StepJSON = format.Step

// Snapshot returns the network's state now. Before Run it lists the declared channels and no
// processes (none has started); processes started at run time appear with new ids (d<n>), and so
// do channels first seen through them (dc<n>). Without observation, processes are "running" while
// the network runs and "done" (or "failed", from Run's error) after.
func (n *Network) Snapshot() *Snapshot {
	s := &Snapshot{Format: SnapshotFormat, Version: FormatVersion, Seq: n.seq.Add(1),
		Time: time.Now().UTC(), Processes: []ProcState{}, Channels: []ChanState{}}
	started := n.started.Load()
	ended := false
	select {
	case <-n.done:
		ended = true
	default:
	}
	s.Running = started && !ended
	n.mu.Lock()
	m := n.mon
	n.mu.Unlock()
	var infos []csp.ProcessInfo
	if m != nil {
		infos = m.Processes() // outside n.mu: it takes the monitor's lock
	}
	n.mu.Lock()
	var ranks []uint64
	switch {
	case m != nil:
		for _, p := range infos {
			ps := ProcState{ID: n.procIDLocked(p.ProcessRef), Name: p.Name, State: p.State.String()}
			if !p.Deadline.IsZero() {
				ps.Deadline = p.Deadline.UTC().Format(time.RFC3339Nano)
			}
			for _, w := range p.Waits {
				ps.Waits = append(ps.Waits, WaitJSON{Channel: n.chanIDLocked(w.Channel, false), Op: w.Op.String()})
			}
			_, declared := n.procIDs[p.Process]
			for _, e := range p.Ends {
				id := n.chanIDLocked(e.Channel(), false)
				if !declared || !slices.Contains(p.Process.Ends(), e) {
					// Without these a viewer could draw a run-time process but not connect it.
					ps.Ends = append(ps.Ends, EndJSON{Channel: id, Dir: e.Dir().String()})
				}
			}
			if p.Err != nil {
				ps.Error = p.Err.Error()
			}
			s.Processes = append(s.Processes, ps)
			ranks = append(ranks, n.rankLocked(p.ProcessRef))
		}
		// Declared processes in declaration order, then the others as they started: the monitor
		// lists them as they started, which varies from run to run.
		sort.Stable(byRank{s.Processes, ranks})
	case started:
		for _, p := range n.procs {
			ps := ProcState{ID: n.procIDs[p], Name: p.Name(), State: csp.StateRunning.String()}
			if ended {
				ps.State = csp.StateDone.String()
				if err := failureOf(n.runErr, p.Name()); err != nil {
					ps.State, ps.Error = csp.StateFailed.String(), err.Error()
				}
			}
			s.Processes = append(s.Processes, ps)
		}
	}
	if n.dl != nil {
		s.Deadlock = n.deadlockStateLocked(n.dl)
	}
	chans, ids := n.chansLocked(len(n.chans))
	n.mu.Unlock()
	for i, c := range chans {
		st := c.Stats()
		s.Channels = append(s.Channels, ChanState{ID: ids[i], Name: st.Name, Buffer: st.Buffer,
			Len: st.Len, Messages: st.Messages, Readers: st.Readers, Writers: st.Writers,
			ReadersRetired: st.ReadersRetired, WritersRetired: st.WritersRetired, Poisoned: st.Poisoned,
			Link: linkState(st)})
	}
	return s
}

// linkState is a channel's link as snapshots carry it: none for a local channel.
func linkState(st csp.ChanStats) string {
	switch {
	case st.Home == "":
		return ""
	case st.LinkLost:
		return format.LinkLost
	}
	return format.LinkUp
}

// failureOf finds the *csp.ProcessError for the process called name in Run's error tree.
func failureOf(err error, name string) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*csp.ProcessError); ok {
		if pe.Process == name {
			return pe.Err
		}
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if f := failureOf(e, name); f != nil {
				return f
			}
		}
	}
	return nil
}

// deadlockStateLocked converts a DeadlockError to its JSON form with network ids.
func (n *Network) deadlockStateLocked(e *DeadlockError) *DeadlockState {
	conv := func(st WaitStep) StepJSON {
		return StepJSON{Process: n.procIDLocked(st.Process), Op: st.Op.String(), Channel: n.chanIDLocked(st.Channel, false)}
	}
	d := &DeadlockState{Message: e.Error(), Cycles: [][]StepJSON{}, Waiting: []StepJSON{}}
	for _, c := range e.Cycles {
		js := make([]StepJSON, len(c))
		for i, st := range c {
			js[i] = conv(st)
		}
		d.Cycles = append(d.Cycles, js)
	}
	for _, st := range e.Waiting {
		d.Waiting = append(d.Waiting, conv(st))
	}
	return d
}

type byRank struct {
	ps    []ProcState
	ranks []uint64
}

func (b byRank) Len() int           { return len(b.ps) }
func (b byRank) Less(i, j int) bool { return b.ranks[i] < b.ranks[j] }
func (b byRank) Swap(i, j int) {
	b.ps[i], b.ps[j] = b.ps[j], b.ps[i]
	b.ranks[i], b.ranks[j] = b.ranks[j], b.ranks[i]
}
