package render

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocsp/gocsp/graphs/format"
)

// generated returns a network of procs processes and chans channels, wired at random but the
// same every time: most channels join one writer to one reader, every tenth is shared by several
// of each, and every process sits on a chain so that the graph is connected.
func generated(procs, chans int) *format.Topology {
	rng := rand.New(rand.NewPCG(1, 2))
	t := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: fmt.Sprintf("generated-%d-%d", procs, chans)}
	for i := range procs {
		t.Processes = append(t.Processes, format.Process{ID: fmt.Sprint("p", i), Name: fmt.Sprint("worker ", i), Kind: "generated"})
	}
	for i := range chans {
		id := fmt.Sprint("c", i)
		t.Channels = append(t.Channels, format.Channel{ID: id, Name: fmt.Sprint("ch", i)})
		w, r := rng.IntN(procs), rng.IntN(procs)
		if i < procs-1 {
			w, r = i, i+1
		}
		t.Ends = append(t.Ends, format.End{Process: fmt.Sprint("p", w), Channel: id, Dir: format.DirWrite},
			format.End{Process: fmt.Sprint("p", r), Channel: id, Dir: format.DirRead})
		if i%10 == 9 {
			for range 3 {
				t.Ends = append(t.Ends, format.End{Process: fmt.Sprint("p", rng.IntN(procs)), Channel: id, Dir: format.DirWrite},
					format.End{Process: fmt.Sprint("p", rng.IntN(procs)), Channel: id, Dir: format.DirRead})
			}
		}
	}
	return t
}
