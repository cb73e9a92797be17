package viewer

import (
	"sync"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/render"
)

// Model is the topology as the viewer knows it: the network's declared
// topology plus the processes, channels and ends learnt later from snapshots
// or trace events. It is safe for concurrent use.
type Model struct {
	mu      sync.Mutex
	top     *format.Topology
	version int
	procs   map[string]bool
	chans   map[string]bool
	ends    map[format.End]bool
	nodeOf  func(processID string) string // the node of a process learnt from a snapshot; may be nil
}

// NewModel starts a model from a validated topology.
func NewModel(t *format.Topology) *Model {
	m := &Model{top: t.Clone(), procs: map[string]bool{}, chans: map[string]bool{}, ends: map[format.End]bool{}}
	for _, p := range t.Processes {
		m.procs[p.ID] = true
	}
	for _, c := range t.Channels {
		m.chans[c.ID] = true
	}
	for _, e := range t.Ends {
		m.ends[endKey(e.Process, e.Channel, e.Dir)] = true
	}
	return m
}

func endKey(proc, ch, dir string) format.End {
	return format.End{Process: proc, Channel: ch, Dir: dir}
}

// Topology returns a copy of the current topology and its version, which
// grows whenever something is added.
func (m *Model) Topology() (*format.Topology, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.top.Clone(), m.version
}

// AddProcess adds a process unless its id is known; it reports whether it did.
func (m *Model) AddProcess(id, name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addProcess(id, name)
}

func (m *Model) addProcess(id, name string) bool {
	if id == "" || m.procs[id] {
		return false
	}
	m.procs[id] = true
	p := format.Process{ID: id, Name: name}
	if m.nodeOf != nil {
		if node := m.nodeOf(id); node != "" {
			p.Attrs = map[string]string{render.NodeAttr: node}
		}
	}
	m.top.Processes = append(m.top.Processes, p)
	m.version++
	return true
}

// AddChannel adds a channel unless its id is known; it reports whether it did.
func (m *Model) AddChannel(id, name string, buffer int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addChannel(id, name, buffer)
}

func (m *Model) addChannel(id, name string, buffer int) bool {
	if id == "" || m.chans[id] {
		return false
	}
	m.chans[id] = true
	m.top.Channels = append(m.top.Channels, format.Channel{ID: id, Name: name, Buffer: max(buffer, 0)})
	m.version++
	return true
}

// AddEnd records that proc uses ch in direction dir ("read" or "write",
// also accepted as a wait's op), when both are known and the end is new.
func (m *Model) AddEnd(proc, ch, dir string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addEnd(proc, ch, dir)
}

func (m *Model) addEnd(proc, ch, dir string) bool {
	if dir != format.DirRead && dir != format.DirWrite {
		return false
	}
	k := endKey(proc, ch, dir)
	if !m.procs[proc] || !m.chans[ch] || m.ends[k] {
		return false
	}
	m.ends[k] = true
	m.top.Ends = append(m.top.Ends, k)
	m.version++
	return true
}

// HasEnd reports whether proc holds an end of ch in direction dir.
func (m *Model) HasEnd(proc, ch, dir string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ends[endKey(proc, ch, dir)]
}

// Discover adds what a snapshot shows that the model lacks: processes and
// channels created at run time, the ends of run-time processes, and the ends
// that blocked processes and deadlock cycles reveal. It reports whether anything was added.
func (m *Model) Discover(s *format.Snapshot) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	before := m.version
	for _, p := range s.Processes {
		m.addProcess(p.ID, p.Name)
	}
	for _, c := range s.Channels {
		m.addChannel(c.ID, c.Name, c.Buffer)
	}
	for _, p := range s.Processes {
		for _, e := range p.Ends {
			m.addEnd(p.ID, e.Channel, e.Dir)
		}
		for _, w := range p.Waits {
			m.addEnd(p.ID, w.Channel, w.Op)
		}
	}
	if s.Deadlock != nil {
		for _, cyc := range s.Deadlock.Cycles {
			for _, st := range cyc {
				m.addEnd(st.Process, st.Channel, st.Op)
			}
		}
		for _, st := range s.Deadlock.Waiting {
			m.addEnd(st.Process, st.Channel, st.Op)
		}
	}
	return m.version != before
}

// NameChannel gives a channel its name when it was learnt without one.
func (m *Model) NameChannel(id, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.top.Channel(id); c != nil && c.Name == "" && name != "" {
		c.Name = name
		m.version++
	}
}

// Process returns a copy of the process with the given id, or nil.
func (m *Model) Process(id string) *format.Process {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.top.Process(id); p != nil {
		c := *p
		return &c
	}
	return nil
}

// Channel returns a copy of the channel with the given id, or nil.
func (m *Model) Channel(id string) *format.Channel {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.top.Channel(id); c != nil {
		cc := *c
		return &cc
	}
	return nil
}
