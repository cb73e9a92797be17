package viewer

import (
	"net/http"
	"strconv"

	"github.com/gocsp/gocsp/graphs/format"
)

// Replay is the viewer of a recorded trace. The server rebuilds the state
// after an event when the page asks for it (see Frames); the page fetches
// frames as it plays, so a long trace costs the browser no more than a short
// one.
type Replay struct {
	page   *page
	frames *Frames
	handle http.Handler
}

// NewReplay reconstructs the trace's states and returns the viewer. source
// names the trace (its file) on the page.
func NewReplay(tr *format.Trace, source string, opts ...Option) *Replay {
	cfg := newConfig(opts)
	model, frames := Reconstruct(tr)
	r := &Replay{frames: frames}
	info := newReplayInfo(tr.Header.Topology.Name, source, frames)
	r.page = &page{model: model, layout: cfg.layout, info: func() any { return info }}
	mux := http.NewServeMux()
	r.page.routes(mux)
	mux.HandleFunc("GET /frame", r.frame)
	r.handle = mux
	return r
}

// ServeHTTP serves the page and its data.
func (r *Replay) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.handle.ServeHTTP(w, req) }

// Frames returns the trace's states, the first one before any event.
func (r *Replay) Frames() *Frames { return r.frames }

// replayInfo tells the page how many frames there are, when each happened
// and what happened, so it can draw its controls without fetching them all.
type replayInfo struct {
	Mode   string   `json:"mode"`
	Name   string   `json:"name"`
	Source string   `json:"source"`
	Frames int      `json:"frames"`
	Times  []int64  `json:"times"`
	Labels []string `json:"labels"`
}

// newReplayInfo builds the page's /info once: the frames never change.
func newReplayInfo(name, source string, frames *Frames) *replayInfo {
	return &replayInfo{Mode: "replay", Name: name, Source: source, Frames: frames.Len(),
		Times: frames.times, Labels: frames.labels}
}

func (r *Replay) frame(w http.ResponseWriter, req *http.Request) {
	i, err := strconv.Atoi(req.URL.Query().Get("i"))
	if err != nil || i < 0 || i >= r.frames.Len() {
		http.Error(w, "frame: want ?i= from 0 to "+strconv.Itoa(r.frames.Len()-1), http.StatusBadRequest)
		return
	}
	writeJSON(w, r.frames.At(i).Snap)
}
