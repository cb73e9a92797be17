//go:build !amd64 || purego

package simd

// SAXPY has no vector loop on this platform (or with the purego tag): it does nothing and
// returns 0, and the caller's Go loop does it all.
func SAXPY(a float32, out, xy []float32) int { return 0 }
