package viewer

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gocsp/gocsp/graphs/format"
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
