package graphs

import (
	"slices"
	"sort"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/format"
)

// Snapshot is a network's live state at one moment (format.Snapshot).
type Snapshot = format.Snapshot

// Snapshot returns the network's state now. Before Run it lists the declared channels and no
// processes (none has started); processes started at run time appear with new ids (d<n>), and so
// do channels first seen through them (dc<n>). Without observation, processes are "running" while
// the network runs and "done" (or "failed", from Run's error) after.
func (n *Network) Snapshot() *Snapshot {
	s := &Snapshot{Format: SnapshotFormat, Version: FormatVersion, Seq: n.seq.Add(1),
		Time: time.Now().UTC(), Processes: []format.ProcessState{}, Channels: []format.ChannelState{}}
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
			ps := format.ProcessState{ID: n.procIDLocked(p.ProcessRef), Name: p.Name, State: p.State.String()}
			if !p.Deadline.IsZero() {
				ps.Deadline = p.Deadline.UTC().Format(time.RFC3339Nano)
			}
			for _, w := range p.Waits {
				ps.Waits = append(ps.Waits, format.Wait{Channel: n.chanIDLocked(w.Channel, false), Op: w.Op.String()})
			}
			_, declared := n.procIDs[p.Process]
			for _, e := range p.Ends {
				id := n.chanIDLocked(e.Channel(), false)
				if !declared || !slices.Contains(p.Process.Ends(), e) {
					// Without these a viewer could draw a run-time process but not connect it.
					ps.Ends = append(ps.Ends, format.OwnedEnd{Channel: id, Dir: e.Dir().String()})
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
			ps := format.ProcessState{ID: n.procIDs[p], Name: p.Name(), State: csp.StateRunning.String()}
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
		s.Channels = append(s.Channels, format.ChannelState{ID: ids[i], Name: st.Name, Buffer: st.Buffer,
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
func (n *Network) deadlockStateLocked(e *DeadlockError) *format.Deadlock {
	conv := func(st WaitStep) format.Step {
		return format.Step{Process: n.procIDLocked(st.Process), Op: st.Op.String(), Channel: n.chanIDLocked(st.Channel, false)}
	}
	d := &format.Deadlock{Message: e.report(), Cycles: [][]format.Step{}, Waiting: []format.Step{}}
	for _, c := range e.Cycles {
		js := make([]format.Step, len(c))
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
	ps    []format.ProcessState
	ranks []uint64
}

func (b byRank) Len() int           { return len(b.ps) }
func (b byRank) Less(i, j int) bool { return b.ranks[i] < b.ranks[j] }
func (b byRank) Swap(i, j int) {
	b.ps[i], b.ps[j] = b.ps[j], b.ps[i]
	b.ranks[i], b.ranks[j] = b.ranks[j], b.ranks[i]
}
