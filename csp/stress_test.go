package csp

import (
	"fmt"
	"testing"
)

// TestStressAlt runs alting writers against alting readers, many of each, on shared channels,
// buffered and not, with plain ends mixed in, and counts every value. GOCSP_STRESS=N multiplies
// the counts: N=1 moves 140,000 values (2 × 50,000 undelayed, 4 × 10,000 delayed), N=20 2.8 million;
// -v logs each subtest's count.
func TestStressAlt(t *testing.T) {
	if testing.Short() {
		t.Skip("stress")
	}
	for _, buffer := range []int{0, 3} {
		for _, dm := range []struct{ w, r delay }{{noDelay, noDelay}, {randomDelay, noDelay}, {noDelay, randomDelay}} {
			n := network{chans: 4, buffer: buffer, altWriters: 8, writers: 2, altReaders: 8, readers: 2,
				perWriter: scaled(5000), ordered: buffer == 0}
			if dm.w != noDelay || dm.r != noDelay {
				n.perWriter /= 5
			}
			t.Run(fmt.Sprintf("buf%d/w=%v,r=%v", buffer, dm.w, dm.r), func(t *testing.T) {
				n.run(t, dm.w, dm.r)
				t.Logf("%d values through %d channels", (n.writers+n.altWriters)*n.perWriter, n.chans)
			})
		}
	}
}
