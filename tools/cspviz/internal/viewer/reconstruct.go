package viewer

import (
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/gocsp/gocsp/graphs/format"
)

// Frame is the state of a traced network after some prefix of its events.
type Frame struct {
	// T is the time of the last event applied, in ns since the trace start.
	T int64
	// Label describes the last event applied, for people.
	Label string
	// Snap is the reconstructed state, in the snapshot format.
	Snap *format.Snapshot
}

// keyframeEvery is how many events lie between two stored states. A frame
// is rebuilt from the keyframe before it, so serving one costs at most this
// many events, and memory grows with the trace's length over this, times the
// network's size: keyframes plus the events, not a state per event.
const keyframeEvery = 512

// Frames is a trace's states after each prefix of its events, rebuilt on
// demand: replaying a 15 MB trace of a 200-process sieve used to keep a
// snapshot per event (11 GB); now it keeps the trace, one label per event and
// a keyframe every keyframeEvery events. Frames is safe for concurrent use.
type Frames struct {
	tr      *format.Trace
	times   []int64
	labels  []string
	keys    []*reconstructor // keys[k] is the state after k*keyframeEvery events
	readers map[string]int
	writers map[string]int
}

// Len is the number of frames: one per event and the one before any.
func (f *Frames) Len() int { return len(f.labels) }

// At rebuilds frame i, 0 ≤ i < Len(); it panics on any other i, as a slice
// would.
func (f *Frames) At(i int) Frame {
	if i < 0 || i >= f.Len() {
		panic(fmt.Sprintf("cspviz: frame %d of %d", i, f.Len()))
	}
	k := i / keyframeEvery
	r := f.keys[k].clone()
	for _, ev := range f.tr.Events[k*keyframeEvery : i] {
		r.apply(ev)
	}
	return f.frame(r, i)
}

// All yields every frame in order, replaying the trace once.
func (f *Frames) All() iter.Seq2[int, Frame] {
	return func(yield func(int, Frame) bool) {
		r := f.keys[0].clone()
		for i := range f.Len() {
			if i > 0 {
				r.apply(f.tr.Events[i-1])
			}
			if !yield(i, f.frame(r, i)) {
				return
			}
		}
	}
}

func (f *Frames) frame(r *reconstructor, i int) Frame {
	snap := r.snapshot(int64(i), f.tr.Header.Start, f.times[i])
	// Readers and writers are only known once every event has been seen.
	for j := range snap.Channels {
		c := &snap.Channels[j]
		c.Readers, c.Writers = f.readers[c.ID], f.writers[c.ID]
	}
	return Frame{T: f.times[i], Label: f.labels[i], Snap: snap}
}

// Reconstruct replays a trace's events and returns the model (the header
// topology plus what the events reveal) and its frames: one per event,
// preceded by the frame before any event.
//
// What the events say is taken as follows: chan.write counts a message and
// chan.read takes one out of the buffer, so a channel's "messages" is the
// number of values written and "len" is writes minus reads, bounded by the
// buffer. A process appears when any event first names it. The network
// stops running at a deadlock event or when every process it has seen has
// ended. Unknown event kinds are kept as frames that change nothing.
func Reconstruct(tr *format.Trace) (*Model, *Frames) {
	model := NewModel(tr.Header.Topology)
	r := &reconstructor{model: model, procs: map[string]*format.ProcessState{}, chans: map[string]*chanCount{}}
	for _, c := range tr.Header.Topology.Channels {
		r.chanState(c.ID, c.Name)
	}
	f := &Frames{tr: tr, times: make([]int64, 1, len(tr.Events)+1),
		labels: make([]string, 1, len(tr.Events)+1)}
	f.labels[0] = "start"
	f.keys = append(f.keys, r.clone())
	for i, ev := range tr.Events {
		label := r.apply(ev)
		f.times = append(f.times, ev.T)
		f.labels = append(f.labels, fmt.Sprintf("+%v %s", time.Duration(ev.T), label))
		if (i+1)%keyframeEvery == 0 {
			f.keys = append(f.keys, r.clone())
		}
	}
	top, _ := model.Topology()
	f.readers, f.writers = map[string]int{}, map[string]int{}
	for _, e := range top.Ends {
		if e.Dir == format.DirRead {
			f.readers[e.Channel]++
		} else {
			f.writers[e.Channel]++
		}
	}
	return model, f
}

type chanCount struct {
	format.ChannelState
	reads uint64
}

// reconstructor is the state of a replay. Reconstruct's pass learns the
// whole topology into the model; the later replays from keyframes (clones)
// find everything known already, so they only read the model.
type reconstructor struct {
	model     *Model
	procOrder []string
	procs     map[string]*format.ProcessState
	chanOrder []string
	chans     map[string]*chanCount
	deadlock  *format.Deadlock
}

// clone copies the state, so that replaying from it leaves it as it was.
func (r *reconstructor) clone() *reconstructor {
	c := &reconstructor{model: r.model, deadlock: r.deadlock,
		procOrder: append([]string(nil), r.procOrder...), chanOrder: append([]string(nil), r.chanOrder...),
		procs: make(map[string]*format.ProcessState, len(r.procs)), chans: make(map[string]*chanCount, len(r.chans))}
	for id, p := range r.procs {
		cp := *p // Waits is replaced, never changed in place, so it may be shared
		c.procs[id] = &cp
	}
	for id, ch := range r.chans {
		cc := *ch
		c.chans[id] = &cc
	}
	return c
}

func (r *reconstructor) procState(id, name string) *format.ProcessState {
	if p, ok := r.procs[id]; ok {
		if p.Name == "" {
			p.Name = name
		}
		return p
	}
	if name == "" {
		if tp := r.model.Process(id); tp != nil {
			name = tp.Name
		}
	}
	r.model.AddProcess(id, name)
	p := &format.ProcessState{ID: id, Name: name, State: format.StateRunning}
	r.procs[id] = p
	r.procOrder = append(r.procOrder, id)
	return p
}

func (r *reconstructor) chanState(id, name string) *chanCount {
	if c, ok := r.chans[id]; ok {
		if c.Name == "" && name != "" {
			// The channel was first seen in a wait, which carries no name.
			c.Name = name
			r.model.NameChannel(id, name)
		}
		return c
	}
	buffer := 0
	if tc := r.model.Channel(id); tc != nil {
		name, buffer = tc.Name, tc.Buffer
	}
	r.model.AddChannel(id, name, 0)
	c := &chanCount{ChannelState: format.ChannelState{ID: id, Name: name, Buffer: buffer}}
	r.chans[id] = c
	r.chanOrder = append(r.chanOrder, id)
	return c
}

func (r *reconstructor) name(id string) string {
	if p, ok := r.procs[id]; ok && p.Name != "" {
		return p.Name
	}
	if c, ok := r.chans[id]; ok && c.Name != "" {
		return c.Name
	}
	return id
}

// apply changes the state by one event and describes it.
func (r *reconstructor) apply(ev format.TraceEvent) string {
	switch ev.Ev {
	case format.EvProcStart:
		p := r.procState(ev.Proc, ev.Name)
		p.State, p.Waits, p.Error = format.StateRunning, nil, ""
		return p.Name + " starts"
	case format.EvProcBlock:
		p := r.procState(ev.Proc, ev.Name)
		p.State, p.Waits = blockedState(ev), ev.Waits
		for _, w := range ev.Waits {
			r.chanState(w.Channel, "")
			r.model.AddEnd(ev.Proc, w.Channel, w.Op)
		}
		return fmt.Sprintf("%s is %s", p.Name, p.State)
	case format.EvProcUnblock, format.EvAltChoice:
		p := r.procState(ev.Proc, ev.Name)
		p.State, p.Waits = format.StateRunning, nil
		if ev.Ev == format.EvAltChoice && ev.Guard != nil {
			return fmt.Sprintf("%s chooses guard %d", p.Name, *ev.Guard)
		}
		return p.Name + " runs"
	case format.EvProcEnd:
		p := r.procState(ev.Proc, ev.Name)
		p.State, p.Waits, p.Error = ev.State, nil, ev.Error
		if p.State == "" {
			p.State = format.StateDone
		}
		if p.Error != "" {
			return fmt.Sprintf("%s ends %s: %s", p.Name, p.State, p.Error)
		}
		return fmt.Sprintf("%s ends %s", p.Name, p.State)
	case format.EvChanWrite, format.EvChanRead:
		c := r.chanState(ev.Chan, ev.Name)
		verb, dir := "writes", format.DirWrite
		if ev.Ev == format.EvChanWrite {
			c.Messages++
		} else {
			c.reads++
			verb, dir = "reads", format.DirRead
		}
		c.Len = 0
		if c.Messages > c.reads {
			c.Len = int(min(c.Messages-c.reads, uint64(c.Buffer)))
		}
		if ev.Proc != "" {
			r.procState(ev.Proc, "")
			r.model.AddEnd(ev.Proc, ev.Chan, dir)
		}
		return fmt.Sprintf("%s %s %s", r.name(ev.Proc), verb, c.Name)
	case format.EvChanPoison:
		c := r.chanState(ev.Chan, ev.Name)
		c.Poisoned = true
		if ev.Proc != "" {
			return fmt.Sprintf("%s poisons %s", r.name(ev.Proc), c.Name)
		}
		return c.Name + " is poisoned"
	case format.EvChanRetire:
		c := r.chanState(ev.Chan, ev.Name)
		// The event does not say which end: a process that holds only a
		// writer retires that, anything else counts as a reader.
		if r.model.HasEnd(ev.Proc, ev.Chan, format.DirWrite) && !r.model.HasEnd(ev.Proc, ev.Chan, format.DirRead) {
			c.WritersRetired++
			return fmt.Sprintf("%s retires its writer of %s", r.name(ev.Proc), c.Name)
		}
		c.ReadersRetired++
		return fmt.Sprintf("%s retires its reader of %s", r.name(ev.Proc), c.Name)
	case format.EvChanLinkLost:
		c := r.chanState(ev.Chan, ev.Name)
		c.Link = format.LinkLost
		return "the link to the node of " + c.Name + " is lost"
	case format.EvDeadlock:
		r.deadlock = ev.Deadlock
		if r.deadlock == nil {
			r.deadlock = &format.Deadlock{Message: "deadlock"}
		}
		for _, cyc := range r.deadlock.Cycles {
			for _, st := range cyc {
				r.model.AddEnd(st.Process, st.Channel, st.Op)
			}
		}
		// graphs' messages start with "deadlock:" already.
		return "deadlock: " + strings.TrimPrefix(r.deadlock.Message, "deadlock: ")
	}
	return "(" + ev.Ev + ")"
}

// blockedState is the event's state, or one inferred from its waits when a
// writer left it out.
func blockedState(ev format.TraceEvent) string {
	switch {
	case ev.State != "":
		return ev.State
	case len(ev.Waits) > 1:
		return format.StateAlting
	case len(ev.Waits) == 1 && ev.Waits[0].Op == format.DirWrite:
		return format.StateBlockedWrite
	case len(ev.Waits) == 1:
		return format.StateBlockedRead
	}
	return format.StateSleeping
}

func (r *reconstructor) snapshot(seq int64, start time.Time, t int64) *format.Snapshot {
	s := &format.Snapshot{Format: format.SnapshotFormat, Version: format.Version, Seq: seq,
		Running: r.deadlock == nil, Deadlock: r.deadlock}
	if !start.IsZero() {
		s.Time = start.Add(time.Duration(t))
	}
	ended := len(r.procOrder) > 0
	for _, id := range r.procOrder {
		p := *r.procs[id]
		p.Waits = append([]format.Wait(nil), p.Waits...)
		s.Processes = append(s.Processes, p)
		switch p.State {
		case format.StateDone, format.StatePoisoned, format.StateFailed:
		default:
			ended = false
		}
	}
	if ended {
		s.Running = false
	}
	for _, id := range r.chanOrder {
		s.Channels = append(s.Channels, r.chans[id].ChannelState)
	}
	return s
}
