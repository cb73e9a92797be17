package gpu

// Mandelbrot returns the element-wise kernel that gives, for each point c, the number of
// iterations of z ← z² + c from z = 0 before |z| > 2, at most maxIter. It computes in float64
// with every operation rounded separately, so both backends agree exactly. PTX entry "mandelbrot".
func Mandelbrot(maxIter uint32) Kernel[complex128, uint32] {
	return Kernel[complex128, uint32]{
		name:   "mandelbrot",
		entry:  "mandelbrot",
		params: []param{{"u32", uint64(maxIter)}},
		grain:  64,
		elem:   func(out []uint32, in []complex128) { mandelbrot(maxIter, out, in) },
	}
}

func mandelbrot(maxIter uint32, out []uint32, in []complex128) {
	out = out[:len(in)]
	for i, c := range in {
		out[i] = escape(real(c), imag(c), maxIter)
	}
}

// escape is the iteration the PTX does, operation for operation; the explicit conversions round
// each product, so that no multiply-add is fused.
func escape(cx, cy float64, maxIter uint32) uint32 {
	var x, y float64
	var n uint32
	for ; n < maxIter; n++ {
		x2 := float64(x * x)
		y2 := float64(y * y)
		if x2+y2 > 4 {
			break
		}
		y = float64(float64(x+x)*y) + cy
		x = float64(x2-y2) + cx
	}
	return n
}
