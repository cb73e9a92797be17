package graphs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/format"
	"go.uber.org/zap"
)

// Option configures a Network.
type Option func(*config)

type config struct {
	trace   io.Writer
	log     *zap.Logger
	observe bool
	outside bool
}

// WithTrace writes a JSON-lines trace of the run to w (docs/FORMATS.md): a header line with the
// topology, then one line per process and channel event. Events are buffered and w is written from
// whichever goroutine produced them, under a mutex; the buffer is flushed when Run returns. Write
// errors stop the trace (the network keeps running) and are logged.
func WithTrace(w io.Writer) Option { return func(c *config) { c.trace = w } }

// WithLogger logs the network's life (start, end, deadlock, trace errors) to l. The default is a
// no-op logger: the package never uses zap's global logger.
func WithLogger(l *zap.Logger) Option { return func(c *config) { c.log = l } }

// WithoutObservation runs the network as plain csp.ParallelContext, with no monitor: no deadlock
// detection, no trace, and snapshots that show channel counters but no per-process states. It costs
// nothing beyond the network itself.
func WithoutObservation() Option { return func(c *config) { c.observe = false } }

// WithOutsideEnds lets the network's channels have ends that no declared process owns, held by code
// outside the network (a main that feeds it, a test that reads its output). Without it, Run refuses
// such a network at start with an *UnownedEndsError: an end that a process uses without owning it
// is never retired when the process ends, so its peers wait for it forever, and the deadlock
// detector cannot tell that wait from one that the outside will end.
func WithOutsideEnds() Option { return func(c *config) { c.outside = true } }

// UnownedEndsError is Run's refusal of a network whose declared channels have ends, joined before
// Run, that no declared process owns (see WithOutsideEnds).
type UnownedEndsError struct {
	Network string
	Ends    []string // "a writer end of \"numbers\"", one entry per channel and direction
}

// Error names the network and every end that no process owns, and says what to do.
func (e *UnownedEndsError) Error() string {
	return fmt.Sprintf("graphs: network %q: no process owns %s: pass each end to the csp.Proc that uses it "+
		"(or run with graphs.WithOutsideEnds if code outside the network holds it)", e.Network, strings.Join(e.Ends, ", "))
}

// unowned returns an *UnownedEndsError if a declared channel has live ends that no declared
// process owns, counted from the channel's joined and retired ends against the declared owners.
func (n *Network) unowned() error {
	n.mu.Lock()
	chans, _ := n.chansLocked(n.declChans)
	owned := make(map[csp.Channel][2]int)
	seen := make(map[csp.End]bool)
	for _, p := range n.procs {
		for _, e := range p.Ends() {
			if seen[e] {
				continue
			}
			seen[e] = true
			k := owned[e.Channel()]
			if e.Dir() == csp.DirRead {
				k[0]++
			} else {
				k[1]++
			}
			owned[e.Channel()] = k
		}
	}
	n.mu.Unlock()
	var ends []string
	for _, c := range chans {
		st := c.Stats()
		k := owned[c]
		if d := st.Readers - st.ReadersRetired - k[0]; d > 0 {
			ends = append(ends, plural(d, "reader")+fmt.Sprintf(" of %q", c.Name()))
		}
		if d := st.Writers - st.WritersRetired - k[1]; d > 0 {
			ends = append(ends, plural(d, "writer")+fmt.Sprintf(" of %q", c.Name()))
		}
	}
	if ends == nil {
		return nil
	}
	return &UnownedEndsError{Network: n.name, Ends: ends}
}

func plural(k int, dir string) string {
	if k == 1 {
		return "a " + dir + " end"
	}
	return strconv.Itoa(k) + " " + dir + " ends"
}

// Network is a declared process network. Declare its processes with Add, then Run it once.
// Topology, Snapshot and Handler may be used at any time, also concurrently with Run.
type Network struct {
	name  string
	cfg   config
	procs []*csp.Process

	mu        sync.Mutex
	procIDs   map[*csp.Process]string // declared processes
	chanIDs   map[csp.Channel]string  // every channel seen so far, declared or not
	chans     []csp.Channel           // in id order
	declChans int                     // chans[:declChans] are the topology's
	bound     map[uint64]string       // monitor id → network id
	boundDecl map[*csp.Process]bool   // declared processes already bound to a monitor record
	mon       *csp.Monitor
	dl        *DeadlockError
	runErr    error // what Run returned, once it did

	started atomic.Bool
	done    chan struct{} // closed when Run returns
	seq     atomic.Int64
}

// New makes an empty network called name.
func New(name string, opts ...Option) *Network {
	n := &Network{
		name:      name,
		cfg:       config{observe: true},
		procIDs:   make(map[*csp.Process]string),
		chanIDs:   make(map[csp.Channel]string),
		bound:     make(map[uint64]string),
		boundDecl: make(map[*csp.Process]bool),
		done:      make(chan struct{}),
	}
	for _, o := range opts {
		o(&n.cfg)
	}
	if n.cfg.log == nil {
		n.cfg.log = zap.NewNop()
	}
	return n
}

// Name returns the network's name.
func (n *Network) Name() string { return n.name }

// Add declares processes, in order: the first process ever added gets id p1. Their channels are
// found through the ends they own. Adding a process twice, or after Run started, panics: both are
// programming errors that would make ids and the run disagree.
func (n *Network) Add(procs ...*csp.Process) *Network {
	if n.started.Load() {
		panic("graphs: Network.Add after Run")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range procs {
		if p == nil {
			panic("graphs: Network.Add of a nil process")
		}
		if _, dup := n.procIDs[p]; dup {
			panic(fmt.Sprintf("graphs: process %q added twice", p.Name()))
		}
		n.procs = append(n.procs, p)
		n.procIDs[p] = "p" + strconv.Itoa(len(n.procs))
		for _, e := range p.Ends() {
			n.chanIDLocked(e.Channel(), true)
		}
	}
	return n
}

// chanIDLocked returns c's id, giving it the next one if it has none.
func (n *Network) chanIDLocked(c csp.Channel, declared bool) string {
	if id, ok := n.chanIDs[c]; ok {
		return id
	}
	n.chans = append(n.chans, c)
	var id string
	if declared {
		n.declChans++
		id = "c" + strconv.Itoa(n.declChans)
	} else {
		id = "dc" + strconv.Itoa(len(n.chans)-n.declChans)
	}
	n.chanIDs[c] = id
	return id
}

// chansLocked copies the first k channels (in id order) and their ids, for the caller to read their
// stats after releasing n.mu: channel locks are taken without n.mu, because the tracer takes n.mu
// while a channel lock is held.
func (n *Network) chansLocked(k int) ([]csp.Channel, []string) {
	chans := slices.Clone(n.chans[:k])
	ids := make([]string, k)
	for i, c := range chans {
		ids[i] = n.chanIDs[c]
	}
	return chans, ids
}

// procIDLocked returns the network id of the monitored process ref.
func (n *Network) procIDLocked(ref csp.ProcessRef) string {
	p := ref.Process
	if id, ok := n.bound[ref.ID]; ok {
		return id
	}
	id, declared := n.procIDs[p]
	if !declared || n.boundDecl[p] {
		// Started at run time, or a declared process value run again by some body.
		id = "d" + strconv.FormatUint(ref.ID, 10)
	} else {
		n.boundDecl[p] = true
	}
	n.bound[ref.ID] = id
	return id
}

// Topology returns the network's declared structure.
func (n *Network) Topology() *Topology {
	n.mu.Lock()
	t := &Topology{Format: TopologyFormat, Version: FormatVersion, Name: n.name,
		Processes: make([]format.Process, 0, len(n.procs)),
		Channels:  make([]format.Channel, 0, n.declChans),
		Ends:      []format.End{},
	}
	for _, p := range n.procs {
		id := n.procIDs[p]
		t.Processes = append(t.Processes, format.Process{ID: id, Name: p.Name(), Kind: p.Kind(), Attrs: p.Attrs()})
		for _, e := range p.Ends() {
			// Add gave every channel of a declared end its id.
			t.Ends = append(t.Ends, format.End{Process: id, Channel: n.chanIDs[e.Channel()], Dir: e.Dir().String(), Owned: true})
		}
	}
	chans, ids := n.chansLocked(n.declChans)
	n.mu.Unlock()
	for i, c := range chans {
		st := c.Stats()
		t.Channels = append(t.Channels, format.Channel{ID: ids[i], Name: c.Name(),
			Type: c.ElemType().String(), Buffer: st.Buffer, Remote: st.Home})
	}
	return t
}

// Run runs every declared process in parallel under ctx and waits until all of them, and every
// process they started under their context, have ended. It returns what csp.ParallelContext
// returns, except that when the network deadlocked it returns a *DeadlockError (which wraps the
// processes' failures, if any). A network runs once: a second Run returns an error at once. Unless
// the network was made WithOutsideEnds, Run first checks that every end its declared channels have
// joined is owned by a declared process, and returns an *UnownedEndsError naming the others if not.
func (n *Network) Run(ctx context.Context) (err error) {
	if !n.started.CompareAndSwap(false, true) {
		return fmt.Errorf("graphs: network %q has already been run", n.name)
	}
	if !n.cfg.outside {
		if err := n.unowned(); err != nil {
			n.mu.Lock()
			n.runErr = err
			n.mu.Unlock()
			close(n.done)
			return err
		}
	}
	log := n.cfg.log.With(zap.String("network", n.name))
	defer func() {
		n.mu.Lock()
		n.runErr = err
		n.mu.Unlock()
		close(n.done)
	}()
	if !n.cfg.observe {
		log.Debug("network starting", zap.Int("processes", len(n.procs)), zap.Bool("observed", false))
		err = csp.ParallelContext(ctx, n.procs...)
		log.Debug("network ended", zap.Error(err))
		return err
	}
	opts := []csp.MonitorOption{csp.OnDeadlock(n.onDeadlock)}
	var tr *tracer
	if n.cfg.trace != nil {
		tr = &tracer{n: n, w: bufio.NewWriterSize(n.cfg.trace, 64<<10), log: log}
		opts = append(opts, csp.WithTracer(tr))
	}
	m := csp.NewMonitor(opts...)
	if tr != nil {
		tr.header(n.Topology(), m.StartTime())
	}
	n.mu.Lock()
	n.mon = m
	n.mu.Unlock()
	log.Debug("network starting", zap.Int("processes", len(n.procs)), zap.Bool("observed", true))
	err = csp.ParallelContext(m.Context(ctx), n.procs...)
	m.Wait() // spawned processes and the deadlock analysis too: no goroutine is left behind
	if tr != nil {
		tr.close()
	}
	// A tracer that panicked was recovered by the monitor; the run still says so.
	err = errors.Join(err, m.Err())
	n.mu.Lock()
	dl := n.dl
	n.mu.Unlock()
	if dl != nil {
		dl.Err = err
		log.Warn("network deadlocked", zap.String("deadlock", dl.Error()))
		return dl
	}
	log.Debug("network ended", zap.Error(err))
	return err
}

// rankLocked orders processes for reports: declared ones by declaration, then the others by start.
func (n *Network) rankLocked(ref csp.ProcessRef) uint64 {
	id := n.procIDLocked(ref)
	if id[0] == 'p' {
		k, _ := strconv.ParseUint(id[1:], 10, 64)
		return k
	}
	return 1<<32 + ref.ID
}

// Done is closed when Run has returned.
func (n *Network) Done() <-chan struct{} { return n.done }
