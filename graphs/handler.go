package graphs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// streamInterval is the least time between two snapshot events of one stream.
const streamInterval = 100 * time.Millisecond

// Handler serves the network's state over HTTP, relative to where it is mounted (docs/FORMATS.md):
// GET /topology and GET /snapshot answer JSON; GET /events is a server-sent event stream that sends
// an "event: snapshot" at once, then one whenever the state changed (checked at most every 100 ms),
// and "event: end" with a last snapshot when the network has ended. A stream's goroutine ends when
// the client goes away or the network ends. Every answer allows cross-origin reads.
func (n *Network) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /topology", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, n.Topology())
	})
	mux.HandleFunc("GET /snapshot", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, n.Snapshot())
	})
	mux.HandleFunc("GET /events", n.serveEvents)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "*")
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

func (n *Network) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // so that a proxy passes events on at once
	w.WriteHeader(http.StatusOK)

	var last []byte // the last state sent, without seq and time, to tell whether it changed
	send := func(event string, force bool) bool {
		s := n.Snapshot()
		seq, at := s.Seq, s.Time
		s.Seq, s.Time = 0, time.Time{}
		key, err := json.Marshal(s)
		if err != nil {
			return false
		}
		if !force && bytes.Equal(key, last) {
			return true
		}
		last = key
		s.Seq, s.Time = seq, at
		data, err := json.Marshal(s)
		if err != nil {
			return false
		}
		if _, err := w.Write([]byte("event: " + event + "\ndata: ")); err != nil {
			return false
		}
		if _, err := w.Write(append(data, "\n\n"...)); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	if !send("snapshot", true) {
		return
	}
	tick := time.NewTicker(streamInterval)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-n.done:
			// The final state first (it may say how each process ended), then the end.
			if send("snapshot", false) {
				_, _ = w.Write([]byte("event: end\ndata: {}\n\n"))
				flusher.Flush()
			}
			return
		case <-tick.C:
			if !send("snapshot", false) {
				return
			}
		}
	}
}
