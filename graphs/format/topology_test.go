package format

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testdata = "testdata"

func openFixture(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join(testdata, name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestDecodeTopologyFixtures(t *testing.T) {
	for name, want := range map[string][3]int{
		"commstime.json":    {4, 4, 8},
		"workers.json":      {6, 3, 10},
		"philosophers.json": {10, 10, 20},
	} {
		t.Run(name, func(t *testing.T) {
			top, err := DecodeTopology(openFixture(t, name))
			require.NoError(t, err)
			assert.Equal(t, want, [3]int{len(top.Processes), len(top.Channels), len(top.Ends)})
		})
	}
}

func TestDecodeTopologyRejects(t *testing.T) {
	for name, wantParts := range map[string][]string{
		"bad-version.json":  {"gocsp-topology", "version 2", "not supported"},
		"bad-ends.json":     {"ends[0]", `"nope"`},
		"bad-syntax.json":   {"reading topology"},
		"wrong-format.json": {`"gocsp-snapshot"`, `"gocsp-topology"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeTopology(openFixture(t, name))
			require.Error(t, err)
			for _, p := range wantParts {
				assert.Contains(t, err.Error(), p)
			}
		})
	}
}

func TestTopologyValidate(t *testing.T) {
	base := func() Topology {
		return Topology{Format: TopologyFormat, Version: 1,
			Processes: []Process{{ID: "p", Name: "p"}},
			Channels:  []Channel{{ID: "c", Name: "c"}},
			Ends:      []End{{Process: "p", Channel: "c", Dir: DirRead}}}
	}
	ok := base()
	require.NoError(t, ok.Validate())
	for name, tc := range map[string]struct {
		mut  func(*Topology)
		want string
	}{
		"no format":    {func(t *Topology) { t.Format = "" }, "format"},
		"version 0":    {func(t *Topology) { t.Version = 0 }, "version 0"},
		"dup process":  {func(t *Topology) { t.Processes = append(t.Processes, Process{ID: "p"}) }, `duplicate process id "p"`},
		"dup channel":  {func(t *Topology) { t.Channels = append(t.Channels, Channel{ID: "c"}) }, `duplicate id "c"`},
		"empty id":     {func(t *Topology) { t.Processes[0].ID = "" }, "no id"},
		"bad dir":      {func(t *Topology) { t.Ends[0].Dir = "both" }, `"both"`},
		"bad process":  {func(t *Topology) { t.Ends[0].Process = "x" }, `process id "x"`},
		"neg buffer":   {func(t *Topology) { t.Channels[0].Buffer = -1 }, "negative buffer"},
		"empty chanid": {func(t *Topology) { t.Channels[0].ID = "" }, "no id"},
	} {
		t.Run(name, func(t *testing.T) {
			top := base()
			tc.mut(&top)
			err := top.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDecodeTopologyEmpty(t *testing.T) {
	_, err := DecodeTopology(strings.NewReader(""))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "empty")
}

func TestDecodeSnapshot(t *testing.T) {
	s, err := DecodeSnapshot([]byte(`{"format":"gocsp-snapshot","version":1,"seq":42,"running":true,
	  "processes":[{"id":"p1","name":"prefix","state":"blocked-write","waits":[{"channel":"c1","op":"write"}]}],
	  "channels":[{"id":"c1","name":"a","messages":1234,"readers":1,"writers":1}],
	  "deadlock":{"message":"m","cycles":[[{"process":"p1","op":"write","channel":"c1"}]]},"future":1}`))
	require.NoError(t, err)
	assert.Equal(t, int64(42), s.Seq)
	assert.Equal(t, "c1", s.Processes[0].Waits[0].Channel)
	assert.Equal(t, uint64(1234), s.Channels[0].Messages)
	require.NotNil(t, s.Deadlock)
	assert.Equal(t, "p1", s.Deadlock.Cycles[0][0].Process)

	_, err = DecodeSnapshot([]byte(`{"format":"gocsp-snapshot","version":3}`))
	require.ErrorContains(t, err, "version 3")
	_, err = DecodeSnapshot([]byte(`{"format":"gocsp-topology","version":1}`))
	require.ErrorContains(t, err, "gocsp-snapshot")
}
