package graphs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// streamInterval is the least time between two snapshot events.
const streamInterval = 100 * time.Millisecond

// HandlerOption configures Handler.
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	cors         string
	maxClients   int
	writeTimeout time.Duration
}

// WithCORS lets web pages of origin read the network's state: every answer carries
// Access-Control-Allow-Origin: origin ("*" for any page). Without it no CORS header is sent, so a
// page of another site cannot read a debug server's state through its visitor's browser.
func WithCORS(origin string) HandlerOption { return func(c *handlerConfig) { c.cors = origin } }

// WithMaxClients caps the event streams open at once (default 32); a client beyond the cap is
// answered 503 Service Unavailable. n < 1 panics.
func WithMaxClients(n int) HandlerOption {
	if n < 1 {
		panic("graphs: WithMaxClients: the cap must be at least 1")
	}
	return func(c *handlerConfig) { c.maxClients = n }
}

// WithStreamWriteTimeout bounds how long one event may take to reach a client (default 5s): a
// client that stops reading is dropped after that long instead of holding memory.
func WithStreamWriteTimeout(d time.Duration) HandlerOption {
	return func(c *handlerConfig) { c.writeTimeout = d }
}

// Handler serves the network's state over HTTP, relative to where it is mounted (docs/FORMATS.md):
// GET /topology and GET /snapshot answer JSON; GET /events is a server-sent event stream that sends
// an "event: snapshot" at once, then one whenever the state changed (checked at most every 100 ms),
// and "event: end" with a last snapshot when the network has ended.
//
// However many clients watch, the network is observed once per interval: one goroutine takes the
// snapshot while any stream is open and every stream sends the latest one it has not yet sent, so a
// slow client skips snapshots rather than queueing them, and one that does not take an event within
// the write timeout is dropped. Streams are capped (WithMaxClients); no CORS header is sent unless
// WithCORS asks for one. The server it runs in should set its own timeouts (ReadHeaderTimeout,
// IdleTimeout); WriteTimeout must stay zero, or it would cut the streams.
func (n *Network) Handler(opts ...HandlerOption) http.Handler {
	cfg := handlerConfig{maxClients: 32, writeTimeout: 5 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	hub := &snapshotHub{n: n}
	slots := make(chan struct{}, cfg.maxClients)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /topology", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, n.Topology())
	})
	mux.HandleFunc("GET /snapshot", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, n.Snapshot())
	})
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			http.Error(w, "graphs: too many event streams open; try again later", http.StatusServiceUnavailable)
			return
		}
		hub.serve(w, r, cfg.writeTimeout)
	})
	if cfg.cors == "" {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", cfg.cors)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v) // a client that went away is no error of ours
}

// snapshotHub observes the network for all event streams at once. Its goroutine runs while at
// least one stream is open, takes a snapshot every interval, and when the state changed publishes
// it as the latest event and wakes every stream; a stream that has not yet sent the one before
// simply sends the newer one, so nothing queues up.
type snapshotHub struct {
	n *Network

	mu      sync.Mutex
	clients map[chan struct{}]struct{}
	running bool
	latest  []byte // the latest snapshot event's JSON
	seq     uint64 // grows with every publish, so a stream knows what it has sent
	ended   bool   // the network has ended and latest is its final state
	last    []byte // latest without seq and time: to tell whether the state changed
}

// publish takes a snapshot and, if the state changed (or force), makes it the latest.
// The caller holds no lock.
func (h *snapshotHub) publish(force bool) {
	s := h.n.Snapshot()
	seq, at := s.Seq, s.Time
	s.Seq, s.Time = 0, time.Time{}
	key, err := json.Marshal(s)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !force && bytes.Equal(key, h.last) {
		return
	}
	s.Seq, s.Time = seq, at
	data, err := json.Marshal(s)
	if err != nil {
		return
	}
	h.last, h.latest = key, data
	h.seq++
	for c := range h.clients {
		select {
		case c <- struct{}{}:
		default: // it has a wake-up pending already
		}
	}
}

func (h *snapshotHub) join() chan struct{} {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	if h.clients == nil {
		h.clients = map[chan struct{}]struct{}{}
	}
	h.clients[c] = struct{}{}
	start := !h.running && !h.ended
	h.running = h.running || start
	h.mu.Unlock()
	if start {
		h.publish(true) // a stream's first event is the state now
		go h.run()
	} else {
		c <- struct{}{}
	}
	return c
}

func (h *snapshotHub) leave(c chan struct{}) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// run observes the network until no stream is left or the network has ended.
func (h *snapshotHub) run() {
	tick := time.NewTicker(streamInterval)
	defer tick.Stop()
	for {
		select {
		case <-h.n.done:
			// The final state (it may say how each process ended), then the end.
			h.publish(false)
			h.mu.Lock()
			h.ended, h.running = true, false
			for c := range h.clients {
				select {
				case c <- struct{}{}:
				default:
				}
			}
			h.mu.Unlock()
			return
		case <-tick.C:
		}
		h.mu.Lock()
		if len(h.clients) == 0 {
			h.running = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		h.publish(false)
	}
}

func (h *snapshotHub) serve(w http.ResponseWriter, r *http.Request, writeTimeout time.Duration) {
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no") // so that a proxy passes events on at once
	w.WriteHeader(http.StatusOK)

	wake := h.join()
	defer h.leave(wake)
	var sent uint64
	send := func(data []byte, end bool) bool {
		if writeTimeout > 0 {
			_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		}
		var b bytes.Buffer
		b.Grow(len(data) + 64)
		b.WriteString("event: snapshot\ndata: ")
		b.Write(data)
		b.WriteString("\n\n")
		if end {
			b.WriteString("event: end\ndata: {}\n\n")
		}
		if _, err := w.Write(b.Bytes()); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		}
		h.mu.Lock()
		data, seq, ended := h.latest, h.seq, h.ended
		h.mu.Unlock()
		if seq == sent && !ended {
			continue
		}
		if ended && data == nil {
			// The network ended before any stream watched it.
			h.publish(true)
			h.mu.Lock()
			data = h.latest
			h.mu.Unlock()
		}
		sent = seq
		if !send(data, ended) || ended {
			return
		}
	}
}
