package viewer

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gocsp/gocsp/graphs/format"
)

// maxPages caps the event streams one live viewer serves at once.
const maxPages = 64

// upstreamRetry is how long the shared stream waits before it reconnects to a
// network it lost, and how long a page waits before it reconnects to us.
const upstreamRetry = 2 * time.Second

// newUpstream returns the hub that serves the pages' event streams from the
// one stream a live viewer reads from the watched network, however many pages
// are open: it runs while at least one page listens and keeps the latest
// snapshot the network really sent. After the network ends, or when it cannot
// be reached, the last real snapshot stays: it is what pages show, marked as
// ended or gone ("problem"), never a made-up value.
func newUpstream(ctx context.Context, l *Live) *format.Hub {
	return format.NewHub(ctx, l.follow,
		format.WithHubMaxClients(maxPages, "cspviz: too many pages are watching; close some and reload"),
		format.WithHubWriteTimeout(10*time.Second), format.WithHubRetry(upstreamRetry))
}

// follow reads the network's stream until ctx ends or the network has ended,
// reconnecting after a pause when the stream breaks.
func (l *Live) follow(ctx context.Context, f *format.Feed) {
	for {
		err := l.read(ctx, f)
		if ctx.Err() != nil {
			return
		}
		if err == nil { // the network ended
			f.End()
			return
		}
		f.Problem(err.Error())
		select {
		case <-ctx.Done():
			return
		case <-time.After(upstreamRetry):
		}
	}
}

// read follows one connection to the network's /events. It returns nil when
// the network said it has ended, else why the stream stopped.
func (l *Live) read(ctx context.Context, f *format.Feed) error {
	target := l.base + "/events"
	ended := false
	var bad error
	err := format.Subscribe(ctx, l.cfg.client, target, func(name string, data []byte) bool {
		switch name {
		case "", format.EventSnapshot:
			s, err := format.DecodeSnapshot(data)
			if err != nil {
				bad = fmt.Errorf("%s: %w", target, err)
				return false
			}
			l.discover(s)
			f.Snapshot(data) // ReadEvents made data for this event alone
		case format.EventProblem:
			// A proxy or merge in front of the network lost (part of) it: pass it on.
			var p format.Problem
			if json.Unmarshal(data, &p) == nil {
				f.Problem(p.Message)
			}
		case format.EventEnd:
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
		return err
	}
	return fmt.Errorf("%s: the network closed the stream without an end event", target)
}
