package format

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Hub serves one observed source as event streams (GET /events) to any number of clients, however
// the source is observed: graphs.Handler observes a network, cspviz's viewer follows a network's own
// stream, its merge follows several. The source is observed once, by the observe function, which
// runs while at least one client listens and reports through a Feed; every client then sends the
// latest state it has not sent yet, so a slow client skips snapshots instead of queueing them, and
// one that takes no event within the write timeout is dropped.
//
// A client's stream sends EventSnapshot whenever the snapshot changed, EventProblem when the feed
// reports one (the last snapshot stays the best known state), and EventEnd, after the final
// snapshot, once the feed ended; a hub that ended serves its final snapshot and EventEnd to later
// clients without observing again. If observe returns by itself without ending the feed, the
// clients' streams close without EventEnd (a client reconnects and observing starts over).
type Hub struct {
	base    context.Context
	observe func(context.Context, *Feed)
	cfg     hubConfig
	slots   chan struct{}

	mu      sync.Mutex
	clients map[*client]struct{}
	cancel  context.CancelFunc // the running observer's; nil when none runs
	gen     uint64             // counts observers started: a Feed acts only while it is current
	ver     uint64             // grows with every change a client should see
	snap    []byte             // the latest snapshot's JSON
	snapVer uint64             // ver when snap was set
	problem string
	ended   bool
}

// client is one open stream.
type client struct {
	wake chan struct{} // one slot: a pending wake-up is never lost, and never queues
	gen  uint64        // the observer it watches: the stream closes when that one gave up
}

// HubOption configures a Hub.
type HubOption func(*hubConfig)

type hubConfig struct {
	maxClients   int
	busy         string
	writeTimeout time.Duration
	retry        time.Duration
}

// WithHubMaxClients caps the streams open at once (default 32); a client beyond the cap is answered
// 503 Service Unavailable with busy as the body. n < 1 panics.
func WithHubMaxClients(n int, busy string) HubOption {
	if n < 1 {
		panic("format: WithHubMaxClients: the cap must be at least 1")
	}
	return func(c *hubConfig) { c.maxClients, c.busy = n, busy }
}

// WithHubWriteTimeout bounds how long one event may take to reach a client (default 5s).
func WithHubWriteTimeout(d time.Duration) HubOption {
	return func(c *hubConfig) { c.writeTimeout = d }
}

// WithHubRetry makes each stream begin with a retry hint: how long a browser's EventSource waits
// before it reconnects to a stream that closed without EventEnd.
func WithHubRetry(d time.Duration) HubOption { return func(c *hubConfig) { c.retry = d } }

// NewHub returns a hub whose source observe observes: it is called, with a Feed to report through,
// when the first client joins (and again after every client left and a new one came), and must
// return soon after its context ends, which happens when the last client leaves or ctx ends.
func NewHub(ctx context.Context, observe func(ctx context.Context, f *Feed), opts ...HubOption) *Hub {
	cfg := hubConfig{maxClients: 32, busy: "too many event streams open; try again later", writeTimeout: 5 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	return &Hub{base: ctx, observe: observe, cfg: cfg, slots: make(chan struct{}, cfg.maxClients),
		clients: map[*client]struct{}{}}
}

// Feed is how an observer reports to its hub. Once the observer's context has ended, or the
// observer returned, its Feed's reports are ignored: a newer observer reports instead.
type Feed struct {
	h   *Hub
	gen uint64
}

// Snapshot makes data, a Snapshot's JSON, the latest state, and clears any problem. The hub keeps
// data: the caller must not change it afterwards.
func (f *Feed) Snapshot(data []byte) {
	f.h.change(f.gen, func(h *Hub) { h.snap, h.snapVer, h.problem = data, h.ver+1, "" })
}

// Problem says why the source cannot be read now ("" when it can again).
func (f *Feed) Problem(msg string) {
	f.h.change(f.gen, func(h *Hub) { h.problem = msg })
}

// End says that the source has ended: the latest snapshot is its final state.
func (f *Feed) End() {
	f.h.change(f.gen, func(h *Hub) { h.ended, h.problem = true, "" })
}

// change applies f for the observer of generation gen, if it is still the current one, and wakes
// every client.
func (h *Hub) change(gen uint64, f func(*Hub)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if gen != h.gen || h.cancel == nil || h.ended {
		return
	}
	f(h)
	h.ver++
	h.wakeLocked()
}

func (h *Hub) wakeLocked() {
	for c := range h.clients {
		select {
		case c.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// join registers a client and starts observing if nobody does.
func (h *Hub) join() *client {
	c := &client{wake: make(chan struct{}, 1)}
	c.wake <- struct{}{} // the first wake-up sends what is known already
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clients[c] = struct{}{}
	if h.cancel == nil && !h.ended {
		h.gen++
		ctx, cancel := context.WithCancel(h.base)
		h.cancel = cancel
		f := &Feed{h: h, gen: h.gen}
		go func() {
			defer cancel()
			h.observe(ctx, f)
			h.mu.Lock()
			defer h.mu.Unlock()
			if f.gen == h.gen && h.cancel != nil {
				// It returned by itself: its clients' streams close, and the next client starts
				// another observer.
				h.cancel = nil
				h.gen++
				h.wakeLocked()
			}
		}()
	}
	c.gen = h.gen
	return c
}

// leave unregisters a client; the last one to leave stops the observer.
func (h *Hub) leave(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
	if len(h.clients) == 0 && h.cancel != nil {
		h.cancel()
		h.cancel = nil
		h.gen++
	}
}

// ServeHTTP serves one client's event stream.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		http.Error(w, h.cfg.busy, http.StatusServiceUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // so that a proxy passes events on at once
	w.WriteHeader(http.StatusOK)
	if h.cfg.retry > 0 {
		io.WriteString(w, "retry: "+strconv.FormatInt(h.cfg.retry.Milliseconds(), 10)+"\n\n")
	}
	if rc.Flush() != nil {
		return
	}
	c := h.join()
	defer h.leave(c)
	var sentVer, sentSnap uint64
	sentProblem := ""
	var buf []byte
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.wake:
		}
		h.mu.Lock()
		ver, snap, snapVer, problem, ended, gone := h.ver, h.snap, h.snapVer, h.problem, h.ended, h.gen != c.gen
		h.mu.Unlock()
		if gone && !ended {
			return // its observer gave up: the client reconnects
		}
		if ver == sentVer {
			continue
		}
		sentVer = ver
		b := sliceWriter{buf[:0]}
		if snap != nil && snapVer != sentSnap {
			sentSnap = snapVer
			WriteEvent(&b, EventSnapshot, snap)
		}
		if problem != sentProblem {
			sentProblem = problem
			if problem != "" {
				msg, _ := json.Marshal(Problem{Message: problem, HaveSnapshot: snap != nil})
				WriteEvent(&b, EventProblem, msg)
			}
		}
		if ended {
			WriteEvent(&b, EventEnd, []byte("{}"))
		}
		buf = b.b
		if h.cfg.writeTimeout > 0 {
			_ = rc.SetWriteDeadline(time.Now().Add(h.cfg.writeTimeout))
		}
		if _, err := w.Write(buf); err != nil || rc.Flush() != nil || ended {
			return
		}
	}
}

type sliceWriter struct{ b []byte }

func (s *sliceWriter) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }

// HubState is what a hub knows of its source at one moment.
type HubState struct {
	Snapshot []byte // the latest snapshot's JSON; nil before the first
	Problem  string // why the source cannot be read now; "" when it can
	Ended    bool   // the source has ended, and Snapshot is its final state
}

// State returns what the hub knows now.
func (h *Hub) State() HubState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return HubState{h.snap, h.problem, h.ended}
}
