package viewer

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"sync"

	"github.com/gocsp/gocsp/tools/cspviz/internal/render"
)

// page serves what the live and the replay viewer share: the embedded page,
// the model's topology and its layout.
type page struct {
	model  *Model
	layout string
	info   func() any
	// prime, when set, is called before each layout: a live viewer learns
	// there what the network started at run time before the page first asks,
	// so that the first layout has it and the page need not lay out again.
	prime func(context.Context)

	mu         sync.Mutex // serialises layouts and guards the cache
	layoutVer  int
	layoutJSON []byte
}

// layoutDoc is what /layout answers. The drawing comes in parts (see
// splitSVG): SVG is its frame, and Parts go into the frame's group in order.
type layoutDoc struct {
	SVG        string              `json:"svg"`
	Parts      []string            `json:"parts,omitempty"`
	Version    int                 `json:"version"`
	Procs      map[string]string   `json:"procs"`
	Chans      map[string][]string `json:"chans"`
	ChanLabels map[string]string   `json:"chanLabels"`
}

func (p *page) routes(mux *http.ServeMux) {
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets())))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, assets(), "index.html")
	})
	mux.HandleFunc("GET /info", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, p.info()) })
	mux.HandleFunc("GET /topology", func(w http.ResponseWriter, r *http.Request) {
		t, _ := p.model.Topology()
		writeJSON(w, t)
	})
	mux.HandleFunc("GET /layout", func(w http.ResponseWriter, r *http.Request) {
		data, err := p.currentLayout(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(data)
	})
}

// currentLayout lays out the model, reusing the last layout while the model
// has not changed: Graphviz is the expensive part of serving the page.
func (p *page) currentLayout(ctx context.Context) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.prime != nil {
		p.prime(ctx)
	}
	top, ver := p.model.Topology()
	if p.layoutJSON != nil && ver == p.layoutVer {
		return p.layoutJSON, nil
	}
	// Draw is bounded (milliseconds for large networks, a few seconds at
	// most for Graphviz on small ones), so a request never waits long here.
	g := render.Build(top, render.WithLayout(p.layout), render.WithLiveLabels())
	svg, _, err := g.Draw(ctx)
	if err != nil {
		return nil, fmt.Errorf("laying out %q: %w", top.Name, err)
	}
	frame, parts := splitSVG(svg, svgPartSize)
	data, err := json.Marshal(layoutDoc{SVG: frame, Parts: parts, Version: ver, Procs: g.Procs, Chans: g.Chans, ChanLabels: g.ChanLabels})
	if err != nil {
		return nil, err
	}
	p.layoutVer, p.layoutJSON = ver, data
	return data, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The client went away or v cannot be encoded; neither can be
		// reported to the client any more.
		log.Printf("cspviz: writing JSON: %v", err)
	}
}
