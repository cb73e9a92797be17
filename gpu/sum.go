package gpu

import "gonum.org/v1/gonum/blas/gonum"

// Sum returns the reduction of a float32 vector to its sum, added in float64. The backends add in
// different orders (the CPU per chunk of a core, the GPU per thread and then by a tree per block),
// so they agree within a relative 1e-9 of the sum of the magnitudes, not bit for bit. PTX entry
// "sum_f32".
func Sum() Kernel[float32, float64] {
	return Kernel[float32, float64]{
		name:  "sum",
		entry: "sum_f32",
		grain: 1 << 15,
		part:  sum32,
		comb:  sum64,
	}
}

// sumBlock is how many elements sum32 hands gonum at a time: its vector of ones stays in L1.
const sumBlock = 2048

// ones is read-only after initialisation: the second operand of the dot products in sum32.
var ones = func() (o [sumBlock]float32) {
	for i := range o {
		o[i] = 1
	}
	return o
}()

// sum32 adds in float64 through gonum's Dsdot (the BLAS float32 dot product accumulated in
// float64) against a vector of ones: each product is exact, and gonum's SSE loop converts and adds
// two floats per instruction with two accumulators, which a Go loop cannot (on other platforms
// gonum falls back to Go).
func sum32(in []float32) float64 {
	var impl gonum.Implementation
	var s float64
	for len(in) > 0 {
		n := min(len(in), sumBlock)
		s += impl.Dsdot(n, in[:n], 1, ones[:n], 1)
		in = in[n:]
	}
	return s
}

func sum64(parts []float64) float64 {
	var s float64
	for _, p := range parts {
		s += p
	}
	return s
}
