package gpu

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

func sum32(in []float32) float64 {
	// Four accumulators break the dependency chain of the adds; the order stays fixed.
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(in); i += 4 {
		s0 += float64(in[i])
		s1 += float64(in[i+1])
		s2 += float64(in[i+2])
		s3 += float64(in[i+3])
	}
	for ; i < len(in); i++ {
		s0 += float64(in[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func sum64(parts []float64) float64 {
	var s float64
	for _, p := range parts {
		s += p
	}
	return s
}
