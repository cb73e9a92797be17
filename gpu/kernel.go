package gpu

import (
	"context"
	"fmt"
	"math"
	"unsafe"
)

// Kernel is a data-parallel computation from a vector of In to Out: PTX for the CUDA backend and
// a Go implementation with the same meaning for the CPU backend. An element-wise kernel gives one
// output per input; a reduction gives one output per vector. Make kernels with this package's
// constructors (SAXPY, Map, Sum, Mandelbrot, PiHits); the zero Kernel is not usable.
type Kernel[In, Out any] struct {
	name  string // short name: the process kind is "gpu." + name
	entry string // the PTX .entry, in the embedded file entry + ".ptx"
	// params are the kernel's scalar parameters after (out, in, n).
	params []param
	grain  int // CPU: fewest elements worth a goroutine

	elem func(out []Out, in []In) // element-wise: out[i] from in[i]
	part func(in []In) Out        // reduction: a chunk's partial result
	comb func(parts []Out) Out    // reduction: partials to the result
}

// Name returns the kernel's short name, e.g. "saxpy".
func (k Kernel[In, Out]) Name() string { return k.name }

// Reduces reports whether the kernel is a reduction (one output per vector).
func (k Kernel[In, Out]) Reduces() bool { return k.part != nil }

func (k Kernel[In, Out]) check(op string) {
	if k.name == "" {
		panic(fmt.Sprintf("gpu.%s: zero Kernel; make one with SAXPY, Map, Sum, Mandelbrot or PiHits", op))
	}
}

// outLen is how many outputs n inputs give.
func (k Kernel[In, Out]) outLen(n int) int {
	if k.Reduces() {
		return 1
	}
	return n
}

// maxLaunch bounds the elements of one launch: PTX indexes with 32-bit unsigned integers.
const maxLaunch = math.MaxInt32

// Run runs k once over in on d and returns its outputs: len(in) of them for an element-wise
// kernel, one for a reduction (of an empty vector too: its identity). It fails with ctx's error
// if ctx is done before the launch, and a launch is not interrupted.
func Run[In, Out any](ctx context.Context, d *Device, k Kernel[In, Out], in []In) ([]Out, error) {
	k.check("Run")
	out := make([]Out, k.outLen(len(in)))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := k.exec(d, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// RunInto is Run writing into out, which the caller provides and may reuse: len(in) long for an
// element-wise kernel, 1 for a reduction (it panics otherwise). On the CPU backend it allocates
// nothing, so a loop of launches costs no garbage.
func RunInto[In, Out any](ctx context.Context, d *Device, k Kernel[In, Out], in []In, out []Out) error {
	k.check("RunInto")
	if want := k.outLen(len(in)); len(out) != want {
		panic(fmt.Sprintf("gpu.RunInto: kernel %s: output of %d elements for %d inputs, want %d", k.name, len(out), len(in), want))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return k.exec(d, in, out)
}

// exec runs k over in into out (len k.outLen(len(in))), synchronously.
func (k Kernel[In, Out]) exec(d *Device, in []In, out []Out) error {
	if len(in) > maxLaunch {
		return errTooLarge(k.name, len(in))
	}
	if d.isClosed() {
		return ErrClosed
	}
	if d.eng == nil {
		k.cpu(d, in, out)
		return nil
	}
	st, err := d.getStreams()
	if err != nil {
		return err
	}
	err = k.execOn(d, st, [][]In{in}, [][]Out{out})
	d.putStreams(st)
	return err
}

func errTooLarge(kernel string, n int) error {
	return fmt.Errorf("gpu: kernel %s: %d elements, more than one launch takes (%d)", kernel, n, maxLaunch)
}

// cpu runs the Go implementation over the cores.
func (k Kernel[In, Out]) cpu(d *Device, in []In, out []Out) {
	n := len(in)
	chunks := d.chunks(n, k.grain)
	if chunks <= 1 || d.workers == 1 {
		// On the calling goroutine, with no closure to allocate.
		if k.Reduces() {
			out[0] = k.part(in)
		} else {
			k.elem(out, in)
		}
		return
	}
	if !k.Reduces() {
		d.parallel(n, chunks, func(_, lo, hi int) { k.elem(out[lo:hi], in[lo:hi]) })
		return
	}
	parts := make([]Out, chunks)
	d.parallel(n, chunks, func(c, lo, hi int) { parts[c] = k.part(in[lo:hi]) })
	out[0] = k.comb(parts)
}

// launch describes k to the CUDA backend, which knows no Go types.
func (k Kernel[In, Out]) launch() launch {
	var in In
	var out Out
	return launch{
		kernel:  k.name,
		entry:   k.entry,
		params:  k.params,
		inSize:  int(unsafe.Sizeof(in)),
		outSize: int(unsafe.Sizeof(out)),
		reduce:  k.Reduces(),
		emulate: func(inMem, outMem []byte, n int) {
			src := view[In](inMem, n)
			if !k.Reduces() {
				k.elem(view[Out](outMem, n), src)
				return
			}
			// What the PTX writes: one partial per block of the grid-stride loop.
			g := grid(n)
			parts := view[Out](outMem, g)
			acc := make([][]In, g)
			for i := range src {
				b := i % (g * blockSize) / blockSize
				acc[b] = append(acc[b], src[i])
			}
			for b := range parts {
				parts[b] = k.part(acc[b])
			}
		},
	}
}

// launch is a kernel as the CUDA backend sees it.
type launch struct {
	kernel, entry   string
	params          []param
	inSize, outSize int
	reduce          bool
	// emulate does on host memory what the PTX does on device memory: the test doubles'
	// engine launches through it.
	emulate func(in, out []byte, n int)
}

// param is a kernel parameter as a launch passes it: its PTX type and its value in the low bytes
// of a uint64, from which the driver reads as many bytes as the PTX declares.
type param struct {
	typ  string // "u64", "u32" or "f32"
	bits uint64
}

// each calls f with each parameter of a launch over n elements from in to out, in the order the
// PTX declares them: (out, in, n) and then the kernel's scalars. The CUDA backend and the PTX
// interpreter of the tests both pass parameters through here, and TestPTXParams checks the types
// against each entry's declaration.
func (l launch) each(out, in uint64, n int, f func(i int, p param)) {
	f(0, param{"u64", out})
	f(1, param{"u64", in})
	f(2, param{"u32", uint64(uint32(n))})
	for i, p := range l.params {
		f(3+i, p)
	}
}

// Launch geometry shared by every PTX kernel: a reduction's PTX assumes blockSize threads (its
// shared memory has that many slots, and its tree halves a power of two).
const (
	blockSize = 256
	maxGrid   = 1024 // grid-stride loops cover larger vectors
)

// grid returns the number of blocks for n elements.
func grid(n int) int {
	return max(1, min(maxGrid, (n+blockSize-1)/blockSize))
}
