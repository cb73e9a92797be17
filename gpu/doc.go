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
// converts explicitly, which forbids fused multiply-adds), but for the bits of a NaN: float32
// arithmetic on the GPU (Map(Square), Map(Sqrt), SAXPY) returns the canonical NaN 0x7fffffff
// whatever the operands, while the CPU backend returns the NaN operand quieted with its payload
// (on amd64; other CPUs promise only a NaN). Map(Abs) and Map(Neg) are bit operations and keep a
// NaN's payload on both; Map(ReLU) turns a NaN into +0 on both. Sum adds in float64 in a different
// order on each backend, so results agree within a relative 1e-9 of the sum of the magnitudes.
//
// CI executes every kernel's PTX without a GPU, in a test-only interpreter of the PTX subset the
// kernels use (IEEE round-to-nearest, integer widths, predicates, shared memory with bar.sync,
// bounds- and alignment-checked memory, parameters as the driver lays them out), against the CPU
// backend at edge sizes, grids and thread orders; see ptxinterp_test.go.
//
// Run executes a kernel once over a slice. An element-wise kernel gives one output per input; a
// reduction gives one output for the whole slice. RunInto does the same into output the caller
// provides and reuses; on the CPU backend with one worker it allocates nothing. The CPU backend
// sums through gonum's float64-accumulating dot product (SSE on amd64) and runs SAXPY through an
// SSE loop of its own (bit for bit the Go loop; the sum is the same float64 sum in another order).
//
// # Processes
//
// Proc is a process that reads vectors, gathers up to Batch of them (default 1) into one launch
// (it waits for one, then takes those ready at once, never waiting to fill a batch), and writes
// one result vector per input vector, in order. When its input retires or is poisoned,
// the vectors already read (a partial batch) are still processed and written before the process
// ends: a vector that Proc has read is never dropped, unless its output is poisoned too.
//
// On CUDA a Proc queues its work on a stream of its own (Run borrows one from the Device), so
// processes on one device run at once: a batch is gathered straight into pinned memory, copied up
// once, launched (a batch of reductions as one launch per vector, each into its own partial
// slots) and copied back once.
//
// Pipeline is the same computation split into three processes, upload, kernel and download,
// linked by channels of *Buffer. On CUDA each stage has its own stream, and events order them, so
// that the copies of one batch overlap the kernel of the next; on the CPU the stages copy into
// and out of pooled host memory so that the network's shape, and its tests, are the same.
//
// Device memory (and the pinned host memory that stages copies on CUDA) comes from a pool owned
// by the Device. Every process returns what it holds when it ends, normally or by poison, so
// Device.InUse is zero once the network has ended; Close frees the pool. A process that fails or
// is poisoned with copies or kernels still queued returns their memory only once its streams have
// finished them (or, if the driver cannot say so, keeps it out of the pool until Close), so that
// no other process is handed memory a dead pipeline's kernel may still write.
//
// GPU processes carry the kind "gpu.<kernel>" and the attributes "backend" and "device", which
// graphs topologies and cspviz show.
package gpu
