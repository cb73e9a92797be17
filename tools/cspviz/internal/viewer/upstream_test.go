package viewer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/fakenet"
)

// countEvents counts the /events streams opened on h.
func countEvents(h http.Handler, n *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/events" {
			n.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// openEvents opens the viewer's /events, reads k events in the background and
// closes the page.
func openEvents(t *testing.T, ctx context.Context, url string, k int) <-chan []sseEvent {
	t.Helper()
	return openPage(t, ctx, url, k, false)
}

// openPage opens the viewer's /events and reads k events in the background;
// with stay, the page stays open after them until ctx ends, as a browser tab
// that is left open does.
func openPage(t *testing.T, ctx context.Context, url string, k int, stay bool) <-chan []sseEvent {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/events", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	out := make(chan []sseEvent, 1)
	go func() {
		defer resp.Body.Close()
		out <- readSSE(t, resp.Body, k)
		if stay {
			<-ctx.Done()
		}
	}()
	return out
}

// Twenty pages watching one network read one stream from it, and each sees snapshots.
//
// The pages stay open until every one has its snapshots: a page that closed
// before the last one joined would rightly stop the stream (nobody listens),
// and the next page would rightly open another, which is not what this tests.
func TestLiveSharesOneUpstreamStream(t *testing.T) {
	var opened atomic.Int32
	_, srv := startLive(t, countEvents(fakenet.Commstime(fakenet.WithInterval(10*time.Millisecond)), &opened))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pages []<-chan []sseEvent
	for range 20 {
		pages = append(pages, openPage(t, ctx, srv.URL, 3, true))
	}
	for i, p := range pages {
		evs := <-p
		require.Len(t, evs, 3, "page %d", i)
		for _, ev := range evs {
			assert.Equal(t, "snapshot", ev.name)
		}
	}
	assert.EqualValues(t, 1, opened.Load(), "one upstream stream for all pages")
}

// When the network goes away the pages keep its last real snapshot and are told it is gone; a
// page opened afterwards gets that same snapshot, never an invented one.
func TestLiveKeepsLastRealSnapshotWhenNetworkIsGone(t *testing.T) {
	upstream := httptest.NewServer(fakenet.Commstime(fakenet.WithInterval(10 * time.Millisecond)))
	live, err := NewLive(context.Background(), upstream.URL)
	require.NoError(t, err)
	srv := httptest.NewServer(live)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	first := openEvents(t, ctx, srv.URL, 100)
	require.Eventually(t, func() bool { return live.up.State().Snapshot != nil }, 5*time.Second, 10*time.Millisecond)
	upstream.CloseClientConnections()
	upstream.Close()
	require.Eventually(t, func() bool { return live.up.State().Problem != "" }, 5*time.Second, 10*time.Millisecond)
	last := live.up.State().Snapshot

	late := <-openEvents(t, ctx, srv.URL, 2)
	require.Len(t, late, 2)
	assert.Equal(t, "snapshot", late[0].name)
	assert.Equal(t, string(last), late[0].data, "the last real snapshot")
	s, err := format.DecodeSnapshot([]byte(late[0].data))
	require.NoError(t, err)
	assert.NotEmpty(t, s.Channels)
	assert.Equal(t, "problem", late[1].name)
	assert.Contains(t, late[1].data, `"haveSnapshot":true`)
	assert.Contains(t, late[1].data, upstream.URL+"/events")
	cancel()
	<-first
}

// After the network's end, a page opened later gets its final snapshot and the end at once.
func TestLiveAfterEndServesFinalSnapshot(t *testing.T) {
	var opened atomic.Int32
	live, srv := startLive(t, countEvents(fakenet.Philosophers(5, fakenet.WithInterval(5*time.Millisecond), fakenet.WithEndAfter(2)), &opened))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evs := <-openEvents(t, ctx, srv.URL, 100)
	require.NotEmpty(t, evs)
	require.Equal(t, "end", evs[len(evs)-1].name)
	require.True(t, live.up.State().Ended)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			late := <-openEvents(t, ctx, srv.URL, 100)
			if assert.Len(t, late, 2) {
				assert.Equal(t, "snapshot", late[0].name)
				assert.Equal(t, "end", late[1].name)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, opened.Load(), "an ended network is not asked again")
}
