package gpu

import (
	"math"

	"github.com/gocsp/gocsp/gpu/internal/simd"
)

// XY is one element of SAXPY's input: an x and a y.
type XY struct{ X, Y float32 }

// SAXPY returns the kernel out[i] = a·x[i] + y[i] in float32, the multiply and the add each
// rounded (no fused multiply-add), so both backends agree bit for bit. PTX entry "saxpy".
func SAXPY(a float32) Kernel[XY, float32] {
	return Kernel[XY, float32]{
		name:   "saxpy",
		entry:  "saxpy",
		params: []param{{"f32", uint64(math.Float32bits(a))}},
		grain:  1 << 14,
		elem:   func(out []float32, in []XY) { saxpy(a, out, in) },
	}
}

func saxpy(a float32, out []float32, in []XY) {
	out = out[:len(in)]
	// The vector loop where there is one (amd64: four at a time in SSE), the same arithmetic.
	done := simd.SAXPY(a, out, view[float32](bytesOf(in), 2*len(in)))
	saxpyGo(a, out[done:], in[done:])
}

func saxpyGo(a float32, out []float32, in []XY) {
	out = out[:len(in)]
	for i, v := range in {
		// The conversion rounds the product, which forbids the compiler a fused multiply-add.
		out[i] = float32(a*v.X) + v.Y
	}
}
