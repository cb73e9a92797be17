package graphs

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gocsp/gocsp/graphs/format"
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
// However many clients watch, the network is observed once per interval (a format.Hub): one
// goroutine takes the snapshot while any stream is open and every stream sends the latest one it
// has not yet sent, so a slow client skips snapshots rather than queueing them, and one that does
// not take an event within the write timeout is dropped. Streams are capped (WithMaxClients); no
// CORS header is sent unless WithCORS asks for one. The server it runs in should set its own timeouts (ReadHeaderTimeout,
// IdleTimeout); WriteTimeout must stay zero, or it would cut the streams.
func (n *Network) Handler(opts ...HandlerOption) http.Handler {
	cfg := handlerConfig{maxClients: 32, writeTimeout: 5 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	hub := format.NewHub(context.Background(), n.observe, format.WithHubMaxClients(cfg.maxClients,
		"graphs: too many event streams open; try again later"), format.WithHubWriteTimeout(cfg.writeTimeout))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /topology", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, n.Topology())
	})
	mux.HandleFunc("GET /snapshot", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, n.Snapshot())
	})
	mux.Handle("GET /events", hub)
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

// observe is the event stream's observer (format.Hub): while any stream is open it takes a
// snapshot every interval and reports it when the state changed (compared without seq and time,
// which change with every snapshot), and once the network has ended, its final state and the end.
func (n *Network) observe(ctx context.Context, f *format.Feed) {
	var last []byte
	publish := func() {
		s := n.Snapshot()
		seq, at := s.Seq, s.Time
		s.Seq, s.Time = 0, time.Time{}
		key, err := json.Marshal(s)
		if err != nil || bytes.Equal(key, last) {
			return
		}
		last = key
		s.Seq, s.Time = seq, at
		if data, err := json.Marshal(s); err == nil {
			f.Snapshot(data)
		}
	}
	publish() // a stream's first event is the state now
	tick := time.NewTicker(streamInterval)
	defer tick.Stop()
	for {
		select {
		case <-n.done:
			publish() // the final state: it may say how each process ended
			f.End()
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			publish()
		}
	}
}
