// Package gpu wraps data-parallel kernels as ordinary CSP processes: a GPU process reads vectors
// from a channel, runs a kernel over them on a device, and writes the results to a channel, so it
// composes, alts, retires and poisons like any other process of package csp.
//
// # Devices and backends
//
// Open picks a backend. The CUDA backend (gorgonia.org/cu, build tag cuda) loads each kernel's
// embedded PTX into a context on an NVIDIA GPU; the CPU backend, always built, runs each kernel's Go
// implementation in parallel over the cores, split into one contiguous chunk per worker. With
// BackendAuto (the default) Open takes CUDA when it is built in and a GPU answers, else the CPU, and
// Device.Reason says why; a logger given with WithLogger hears it too.
//
// A binary built with -tags cuda links against the driver's libcuda.so.1 and does not start at all
// without it. Worse, gorgonia.org/cu v0.9.6 calls cuInit in its package initialiser and exits the
// process when that fails (no GPU, or no usable driver), so such a binary falls back to the CPU only
// when the driver initialises but no device can be opened. Ship untagged binaries to machines that
// may have no GPU.
//
// # Kernels
//
// A Kernel is PTX plus a Go implementation with the same meaning. The package ships SAXPY, an
// element-wise Map, a Sum reduction, Mandelbrot escape counts, and PiHits (Monte Carlo π with the
// counter-based Philox4x32-10 generator). Their PTX is hand-written for PTX ISA 6.0 and sm_52, so
// the driver JIT-compiles it for any newer GPU, and is embedded in the binary (see PTX). The integer
// kernels (Mandelbrot, PiHits) and the element-wise float kernels agree bit for bit across
// backends, because both sides round each operation separately (the PTX says .rn, the Go code
// converts explicitly, which forbids fused multiply-adds); NaN payloads of Map(Sqrt) may differ.
// Sum adds in float64 in a different order on each backend, so results agree within a relative
// 1e-9 of the sum of the magnitudes.
//
// Run executes a kernel once over a slice. An element-wise kernel gives one output per input; a
// reduction gives one output for the whole slice.
//
// # Processes
//
// Proc is a process that reads vectors, gathers up to Batch of them (default 1) into one launch
// (it waits for one, then takes those ready at once, never waiting to fill a batch), and writes
// one result vector per input vector, in order. When its input retires or is poisoned,
// the vectors already read (a partial batch) are still processed and written before the process
// ends: a vector that Proc has read is never dropped, unless its output is poisoned too.
//
// Pipeline is the same computation split into three processes, upload, kernel and download,
// linked by channels of *Buffer. On CUDA each stage has its own stream, and events order them, so
// that the copies of one batch overlap the kernel of the next; on the CPU the stages copy into
// and out of pooled host memory so that the network's shape, and its tests, are the same.
//
// Device memory (and the pinned host memory that stages copies on CUDA) comes from a pool owned
// by the Device. Every process returns what it holds when it ends, normally or by poison, so
// Device.InUse is zero once the network has ended; Close frees the pool.
//
// GPU processes carry the kind "gpu.<kernel>" and the attributes "backend" and "device", which
// graphs topologies and cspviz show.
package gpu
