// Package fakenet provides fake GoCSP network handlers for cspviz's tests and
// screenshots: they answer /topology, /snapshot and /events as FORMATS.md
// describes, from canned states that change over time, without running any
// CSP code.
package fakenet

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gocsp/gocsp/graphs/format"
)

// Network is a fake network handler. Its state is a function of the number of
// ticks since it was created, so every client sees the same history.
type Network struct {
	top      *format.Topology
	state    func(tick int) *format.Snapshot
	start    time.Time
	interval time.Duration
	endAfter int
	hub      *format.Hub
}

// Option configures a Network.
type Option func(*Network)

// WithInterval sets how often the state changes (default 100ms, the fastest
// rate graphs.Handler sends events at).
func WithInterval(d time.Duration) Option { return func(n *Network) { n.interval = d } }

// WithEndAfter makes /events send "end" and close after this many ticks, as a
// network that has ended does. Zero, the default, streams until the client
// goes away.
func WithEndAfter(ticks int) Option { return func(n *Network) { n.endAfter = ticks } }

// New returns a network with the given topology whose state at each tick is
// state(tick). state must fill in processes, channels and deadlock; New fills
// in the header, seq and time.
func New(top *format.Topology, state func(tick int) *format.Snapshot, opts ...Option) *Network {
	n := &Network{top: top, state: state, start: time.Now(), interval: 100 * time.Millisecond}
	for _, o := range opts {
		o(n)
	}
	n.hub = format.NewHub(context.Background(), n.observe)
	return n
}

// Topology returns the network's topology.
func (n *Network) Topology() *format.Topology { return n.top }

// Snapshot returns the state at tick.
func (n *Network) Snapshot(tick int) *format.Snapshot {
	s := n.state(tick)
	s.Format, s.Version, s.Seq = format.SnapshotFormat, format.Version, int64(tick)
	s.Time = n.start.Add(time.Duration(tick) * n.interval).UTC()
	return s
}

func (n *Network) tick() int { return int(time.Since(n.start) / n.interval) }

// ServeHTTP answers /topology, /snapshot and /events.
func (n *Network) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	switch r.URL.Path {
	case "/topology":
		writeJSON(w, n.top)
	case "/snapshot":
		writeJSON(w, n.Snapshot(n.tick()))
	case "/events":
		n.hub.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// observe feeds the event stream: the state at each tick, until the end (WithEndAfter).
func (n *Network) observe(ctx context.Context, f *format.Feed) {
	t := time.NewTicker(n.interval)
	defer t.Stop()
	for {
		tick := n.tick()
		end := n.endAfter > 0 && tick >= n.endAfter
		if end {
			tick = n.endAfter
		}
		data, err := json.Marshal(n.Snapshot(tick))
		if err != nil {
			f.Problem(err.Error())
			return
		}
		f.Snapshot(data)
		if end {
			f.End()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
