package gpu

// PiHits returns the Monte Carlo π reduction: each input is a Philox counter c, whose block
// Philox4x32(c's low and high words, 0, 0; seed's low and high words) gives two points (the top
// 31 bits of words 0 and 1, and of 2 and 3) in the unit square; the output counts the points
// inside the quarter circle, x² + y² < 2⁶², in integers. So 4·hits/(2·len) estimates π, and both
// backends count exactly the same hits. PTX entry "pi_hits".
func PiHits(seed uint64) Kernel[uint64, uint64] {
	return Kernel[uint64, uint64]{
		name:   "pi",
		entry:  "pi_hits",
		params: []param{{"u64", seed}},
		grain:  1 << 10,
		part:   func(in []uint64) uint64 { return piHits(seed, in) },
		comb:   sumU64,
	}
}

// PiCounters returns n consecutive counters starting at first: the input of PiHits for 2n points.
func PiCounters(first uint64, n int) []uint64 {
	cs := make([]uint64, n)
	for i := range cs {
		cs[i] = first + uint64(i)
	}
	return cs
}

func piHits(seed uint64, in []uint64) uint64 {
	key := [2]uint32{uint32(seed), uint32(seed >> 32)}
	var hits uint64
	for _, c := range in {
		r := Philox4x32([4]uint32{uint32(c), uint32(c >> 32), 0, 0}, key)
		hits += inside(r[0], r[1]) + inside(r[2], r[3])
	}
	return hits
}

func inside(a, b uint32) uint64 {
	x, y := uint64(a>>1), uint64(b>>1)
	if x*x+y*y < 1<<62 {
		return 1
	}
	return 0
}

func sumU64(parts []uint64) uint64 {
	var s uint64
	for _, p := range parts {
		s += p
	}
	return s
}
