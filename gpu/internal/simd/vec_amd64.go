//go:build !purego

package simd

//go:noescape
func saxpy4(a float32, out *float32, in *float32, n int)

// SAXPY sets out[i] = a*xy[2i] + xy[2i+1], each operation rounded to nearest (no fused
// multiply-add), for the longest prefix whose length is a multiple of 4, in SSE, and returns
// that length; the caller does the rest. len(out) must be at least len(xy)/2.
func SAXPY(a float32, out, xy []float32) int {
	n := len(xy) / 2 &^ 3
	if n > 0 {
		_ = out[n-1]
		saxpy4(a, &out[0], &xy[0], n)
	}
	return n
}
