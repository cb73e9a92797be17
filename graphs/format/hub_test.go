package format

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stream opens the hub's event stream and returns its events, one by one.
func stream(t *testing.T, ctx context.Context, url string) <-chan event {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	evs := make(chan event, 100)
	go func() {
		defer close(evs)
		defer resp.Body.Close()
		ReadEvents(resp.Body, func(name string, data []byte) bool {
			evs <- event{name, string(data)}
			return true
		})
	}()
	return evs
}

// One observer feeds every client; each sees the changes, a problem, and the end; a client that
// comes after the end gets the final snapshot and the end without a new observer.
func TestHubFansOutOneObserver(t *testing.T) {
	var observers atomic.Int32
	step := make(chan string)
	h := NewHub(context.Background(), func(ctx context.Context, f *Feed) {
		observers.Add(1)
		for {
			select {
			case <-ctx.Done():
				return
			case s, ok := <-step:
				switch {
				case !ok:
					f.End()
					return
				case s == "problem":
					f.Problem("lost it")
				default:
					f.Snapshot([]byte(s))
				}
			}
		}
	}, WithHubRetry(1500*time.Millisecond))
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := context.Background()
	a, b := stream(t, ctx, srv.URL), stream(t, ctx, srv.URL)
	for i := range 3 {
		step <- strconv.Itoa(i)
		for _, s := range []<-chan event{a, b} {
			assert.Equal(t, event{EventSnapshot, strconv.Itoa(i)}, <-s)
		}
	}
	step <- "problem"
	for _, s := range []<-chan event{a, b} {
		assert.Equal(t, event{EventProblem, `{"message":"lost it","haveSnapshot":true}`}, <-s)
	}
	step <- "3"
	close(step)
	for _, s := range []<-chan event{a, b} {
		var got []event
		for ev := range s {
			got = append(got, ev)
		}
		// A slow client may have skipped "3" for the end's state, which is "3" too.
		require.NotEmpty(t, got)
		assert.Equal(t, event{EventEnd, "{}"}, got[len(got)-1])
	}
	var late []event
	for ev := range stream(t, ctx, srv.URL) {
		late = append(late, ev)
	}
	assert.Equal(t, []event{{EventSnapshot, "3"}, {EventEnd, "{}"}}, late)
	assert.EqualValues(t, 1, observers.Load())
	assert.Equal(t, HubState{Snapshot: []byte("3"), Ended: true}, h.State())
}

// The observer runs while somebody listens: the last client's leaving stops it, and the next
// client starts another. An observer that gives up closes its clients' streams without an end.
func TestHubObservesWhileListened(t *testing.T) {
	var observers atomic.Int32
	giveUp := make(chan struct{})
	h := NewHub(context.Background(), func(ctx context.Context, f *Feed) {
		f.Snapshot([]byte(strconv.Itoa(int(observers.Add(1)))))
		select {
		case <-ctx.Done():
		case <-giveUp:
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s := stream(t, ctx, srv.URL)
	assert.Equal(t, event{EventSnapshot, "1"}, <-s)
	cancel()
	for range s {
	}
	require.Eventually(t, func() bool { // the server has seen the client go
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.clients) == 0
	}, 5*time.Second, time.Millisecond)
	s = stream(t, context.Background(), srv.URL)
	// The last state known may come first, then the new observer's.
	if ev := <-s; ev != (event{EventSnapshot, "2"}) {
		assert.Equal(t, event{EventSnapshot, "1"}, ev)
		assert.Equal(t, event{EventSnapshot, "2"}, <-s)
	}
	close(giveUp)
	_, open := <-s
	assert.False(t, open, "the stream closes, without an end")
	assert.False(t, h.State().Ended)
}

// Streams beyond the cap are refused with the hub's message.
func TestHubCapsStreams(t *testing.T) {
	h := NewHub(context.Background(), func(ctx context.Context, f *Feed) { <-ctx.Done() }, WithHubMaxClients(1, "busy here"))
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	resp2, err := http.Get(srv.URL)
	require.NoError(t, err)
	resp2.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp2.StatusCode)
	assert.Panics(t, func() { WithHubMaxClients(0, "") })
}
