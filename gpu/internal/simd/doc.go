// Package simd holds the CPU backend's vector loops in Go assembly, apart from package gpu because
// a package that uses cgo (gpu with the cuda tag) cannot hold Go assembly.
package simd
