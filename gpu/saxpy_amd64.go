//go:build !purego

package gpu

// saxpy4 is saxpy over n elements, n a multiple of 4, in SSE (saxpy_amd64.s).
//
//go:noescape
func saxpy4(a float32, out *float32, in *XY, n int)

// saxpyFast runs the SSE loop over the longest multiple of 4 and returns how many it did.
func saxpyFast(a float32, out []float32, in []XY) int {
	n := len(in) &^ 3
	if n > 0 {
		saxpy4(a, &out[0], &in[0], n)
	}
	return n
}
