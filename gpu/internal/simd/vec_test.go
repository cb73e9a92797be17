package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSAXPYMatchesScalar checks the vector loop bit for bit against the scalar one, over every
// length up to 67 (the prefix it claims, and nothing beyond it written).
func TestSAXPYMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for n := range 67 {
		xy := make([]float32, 2*n)
		for i := range xy {
			xy[i] = float32(r.NormFloat64() * 1e3)
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = -7
		}
		done := SAXPY(-1.25, out, xy)
		if done > n || done%4 != 0 {
			t.Fatalf("n=%d: claimed %d", n, done)
		}
		for i := range out {
			want := float32(-7)
			if i < done {
				want = float32(-1.25*xy[2*i]) + xy[2*i+1]
			}
			if math.Float32bits(out[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d i=%d: %v, want %v", n, i, out[i], want)
			}
		}
	}
}
