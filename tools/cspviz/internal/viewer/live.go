package viewer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gocsp/gocsp/graphs/format"
)

// Live is the viewer of a running network reached over HTTP.
type Live struct {
	base   string
	cfg    config
	page   *page
	name   string
	handle http.Handler
	up     *format.Hub // the pages' event streams, fed by one stream from the network
	seen   atomic.Bool // a snapshot of the network has been read
}

// NewLive connects to the network served at base (the URL where its handler
// is mounted, answering /topology, /snapshot and /events), reads its
// topology and returns the viewer. It fails, naming the URL, when the network
// cannot be reached or answers with something that is not a topology this
// cspviz reads.
func NewLive(ctx context.Context, base string, opts ...Option) (*Live, error) {
	cfg := newConfig(opts)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http:// or https:// URL of a running network", base)
	}
	base = NetworkBase(base)
	l := &Live{base: base, cfg: cfg}
	l.up = newUpstream(context.WithoutCancel(ctx), l)
	top, err := FetchTopology(ctx, cfg.client, base, cfg.timeout)
	if err != nil {
		return nil, err
	}
	l.name = top.Name
	l.page = &page{model: NewModel(top), layout: cfg.layout, info: l.info}
	l.page.model.nodeOf = cfg.nodeOf
	l.page.prime = l.prime
	mux := http.NewServeMux()
	l.page.routes(mux)
	mux.HandleFunc("GET /snapshot", l.snapshot)
	mux.Handle("GET /events", l.up)
	l.handle = mux
	return l, nil
}

// ServeHTTP serves the page and its data.
func (l *Live) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.handle.ServeHTTP(w, r) }

// Model returns what the viewer knows of the network.
func (l *Live) Model() *Model { return l.page.model }

func (l *Live) info() any {
	info := map[string]any{"mode": "live", "name": l.name, "source": l.base}
	if l.cfg.run != nil {
		info["run"] = l.cfg.run()
	}
	return info
}

// NetworkBase returns the base URL of the network that u names: u itself, or
// u without its last path element when that is one of the network's
// endpoints (/topology, /snapshot, /events), so that any URL the debug server
// printed or served works.
func NetworkBase(u string) string {
	u = strings.TrimSuffix(u, "/")
	for _, ep := range []string{"/topology", "/snapshot", "/events"} {
		if strings.HasSuffix(u, ep) {
			return strings.TrimSuffix(u, ep)
		}
	}
	return u
}

// FetchTopology GETs base/topology and decodes it. base may also be the
// topology's own URL. Errors name the URL and say what went wrong.
func FetchTopology(ctx context.Context, client *http.Client, base string, timeout time.Duration) (*format.Topology, error) {
	target := NetworkBase(base) + "/topology"
	body, err := get(ctx, client, target, timeout)
	if err != nil {
		return nil, err
	}
	top, err := format.DecodeTopology(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	return top, nil
}

// get fetches a small JSON document, with a timeout.
func get(ctx context.Context, client *http.Client, target string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the network at %s: %w", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", target, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: the network answered %s: %s", target, resp.Status, firstLine(body))
	}
	return body, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// primeTimeout bounds how long the first layout waits for a snapshot.
const primeTimeout = 2 * time.Second

// prime reads one snapshot, unless one has been read already, so that the
// model knows the processes and channels the network started at run time. A
// network that cannot be read now, or not within primeTimeout, is laid out as
// far as it is known: the page asks again when snapshots show more.
func (l *Live) prime(ctx context.Context) {
	if l.seen.Load() {
		return
	}
	body, err := get(ctx, l.cfg.client, l.base+"/snapshot", min(l.cfg.timeout, primeTimeout))
	if err != nil {
		return
	}
	if s, err := format.DecodeSnapshot(body); err == nil {
		l.discover(s)
	}
}

// discover adds what a snapshot of the network shows to the model.
func (l *Live) discover(s *format.Snapshot) {
	l.page.model.Discover(s)
	l.seen.Store(true)
}

func (l *Live) snapshot(w http.ResponseWriter, r *http.Request) {
	body, err := get(r.Context(), l.cfg.client, l.base+"/snapshot", l.cfg.timeout)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	s, err := format.DecodeSnapshot(body)
	if err != nil {
		http.Error(w, fmt.Sprintf("%s/snapshot: %v", l.base, err), http.StatusBadGateway)
		return
	}
	l.discover(s)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}
