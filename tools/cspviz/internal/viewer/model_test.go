package viewer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/fakenet"
	"github.com/gocsp/gocsp/tools/cspviz/internal/render"
)

// A process started at run time is connected through the ends its snapshot lists, even before it
// ever blocks.
func TestDiscoverConnectsRunTimeProcesses(t *testing.T) {
	m := NewModel(&format.Topology{Format: format.TopologyFormat, Version: 1,
		Processes: []format.Process{{ID: "p1", Name: "generator"}},
		Channels:  []format.Channel{{ID: "c1", Name: "numbers"}},
		Ends:      []format.End{{Process: "p1", Channel: "c1", Dir: format.DirWrite}}})
	changed := m.Discover(&format.Snapshot{
		Processes: []format.ProcessState{{ID: "d1", Name: "filter-1", State: format.StateRunning,
			Ends: []format.OwnedEnd{{Channel: "c1", Dir: format.DirRead}, {Channel: "dc1", Dir: format.DirWrite}}}},
		Channels: []format.ChannelState{{ID: "c1", Name: "numbers"}, {ID: "dc1", Name: "sieve-1"}},
	})
	assert.True(t, changed)
	assert.True(t, m.HasEnd("d1", "c1", format.DirRead))
	assert.True(t, m.HasEnd("d1", "dc1", format.DirWrite))
	assert.False(t, m.HasEnd("d1", "dc1", format.DirRead))
}

// A live viewer given WithNodeOf marks the processes it learns from snapshots with their node, so
// that they are drawn in its box; the declared ones keep theirs.
func TestDiscoveredProcessesGetTheirNode(t *testing.T) {
	srv := httptest.NewServer(fakenet.Commstime(fakenet.WithInterval(10 * time.Millisecond)))
	defer srv.Close()
	l, err := NewLive(context.Background(), srv.URL, WithNodeOf(func(id string) string {
		if id == "p9" {
			return "n1"
		}
		return "other"
	}))
	require.NoError(t, err)
	// From tick 3 on, the monitor is in the snapshots.
	require.Eventually(t, func() bool {
		l.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/snapshot", nil))
		return l.Model().Process("p9") != nil
	}, 10*time.Second, 10*time.Millisecond, "the monitor is learnt from a snapshot")
	p := l.Model().Process("p9")
	assert.Equal(t, "n1", p.Attrs[render.NodeAttr])
	assert.Empty(t, l.Model().Process("p1").Attrs[render.NodeAttr], "a declared process keeps its attributes")
}
