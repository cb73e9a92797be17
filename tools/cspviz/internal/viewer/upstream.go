package viewer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gocsp/gocsp/graphs/format"
)

// maxPages caps the event streams one live viewer serves at once.
const maxPages = 64

// upstreamRetry is how long the shared stream waits before it reconnects to a
// network it lost.
const upstreamRetry = 2 * time.Second

// upstream is the one event stream a live viewer reads from the watched
// network, however many pages are open: it runs while at least one page
// listens, keeps the latest snapshot the network really sent, and wakes every
// page when something changed. A page that is slow to read sends only the
// newest snapshot when it catches up. After the network ends, or when it
// cannot be reached, the last real snapshot stays: it is what pages show,
// marked as ended or gone, never a made-up value.
type upstream struct {
	l   *Live
	ctx context.Context // the viewer's: ends the stream when the viewer stops

	mu      sync.Mutex
	clients map[chan struct{}]struct{}
	cancel  context.CancelFunc // stops the running stream; nil when none runs
	latest  []byte             // the last snapshot the network sent
	seq     uint64             // grows with every change pages should see
	ended   bool               // the network said it has ended
	problem string             // why the network cannot be read now; "" when it can
}

// pageState is what one page is told.
type pageState struct {
	latest  []byte
	seq     uint64
	ended   bool
	problem string
}

func (u *upstream) state() pageState {
	u.mu.Lock()
	defer u.mu.Unlock()
	return pageState{u.latest, u.seq, u.ended, u.problem}
}

// join registers a page and starts the stream if none runs.
func (u *upstream) join() chan struct{} {
	c := make(chan struct{}, 1)
	c <- struct{}{} // the first wake-up sends what is known already
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.clients == nil {
		u.clients = map[chan struct{}]struct{}{}
	}
	u.clients[c] = struct{}{}
	if u.cancel == nil && !u.ended {
		ctx, cancel := context.WithCancel(u.ctx)
		u.cancel = cancel
		go u.run(ctx)
	}
	return c
}

// leave unregisters a page; the last one to leave stops the stream.
func (u *upstream) leave(c chan struct{}) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.clients, c)
	if len(u.clients) == 0 && u.cancel != nil {
		u.cancel()
		u.cancel = nil
	}
}

// changed applies f under the lock and wakes every page.
func (u *upstream) changed(f func()) {
	u.mu.Lock()
	defer u.mu.Unlock()
	f()
	u.seq++
	for c := range u.clients {
		select {
		case c <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// run reads the network's stream until ctx ends or the network has ended,
// reconnecting after a pause when the stream breaks.
func (u *upstream) run(ctx context.Context) {
	for {
		err := u.read(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil { // the network ended
			u.changed(func() { u.ended, u.problem = true, "" })
			u.mu.Lock()
			u.cancel = nil
			u.mu.Unlock()
			return
		}
		u.changed(func() { u.problem = err.Error() })
		select {
		case <-ctx.Done():
			return
		case <-time.After(upstreamRetry):
		}
	}
}

// read follows one connection to the network's /events. It returns nil when
// the network said it has ended, else why the stream stopped.
func (u *upstream) read(ctx context.Context) error {
	target := u.l.base + "/events"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", target, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := u.l.cfg.client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the network at %s: %w", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s: the network answered %s: %s", target, resp.Status, firstLine(b))
	}
	ended := false
	var bad error
	err = readEvents(resp.Body, func(name string, data []byte) bool {
		switch name {
		case "", "snapshot":
			s, err := format.DecodeSnapshot(data)
			if err != nil {
				bad = fmt.Errorf("%s: %w", target, err)
				return false
			}
			u.l.page.model.Discover(s)
			u.changed(func() { u.latest, u.problem = append([]byte(nil), data...), "" })
		case "end":
			ended = true
			return false
		}
		// Later minor versions may add events; nothing here needs them.
		return true
	})
	switch {
	case bad != nil:
		return bad
	case ended:
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", target, err)
	}
	return fmt.Errorf("%s: the network closed the stream without an end event", target)
}

// events serves one page's stream from the shared one: the latest snapshot
// whenever it changed, "problem" when the network cannot be read (the page
// keeps the last snapshot and says the network is gone), and "end" after the
// network's final snapshot.
func (l *Live) events(w http.ResponseWriter, r *http.Request) {
	select {
	case l.slots <- struct{}{}:
		defer func() { <-l.slots }()
	default:
		http.Error(w, "cspviz: too many pages are watching; close some and reload", http.StatusServiceUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// The page reconnects after 2s if this stream breaks without an end.
	io.WriteString(w, "retry: 2000\n\n")
	if rc.Flush() != nil {
		return
	}
	wake := l.up.join()
	defer l.up.leave(wake)
	var sentSeq uint64
	var sentSnap []byte
	sentProblem := ""
	for {
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		}
		st := l.up.state()
		if st.seq == sentSeq {
			continue
		}
		sentSeq = st.seq
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if st.latest != nil && &st.latest[0] != firstByte(sentSnap) {
			sentSnap = st.latest
			writeEvent(w, "snapshot", st.latest)
		}
		if st.problem != sentProblem {
			sentProblem = st.problem
			if st.problem != "" {
				msg, _ := json.Marshal(map[string]any{"message": st.problem, "haveSnapshot": st.latest != nil})
				writeEvent(w, "problem", msg)
			}
		}
		if st.ended {
			writeEvent(w, "end", []byte("{}"))
			rc.Flush()
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

func firstByte(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}
