//go:build !amd64 || purego

package gpu

// saxpyFast has no vector loop on this platform (or with the purego tag): saxpy does it all.
func saxpyFast(float32, []float32, []XY) int { return 0 }
