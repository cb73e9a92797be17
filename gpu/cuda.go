//go:build cuda

package gpu

/*
#cgo LDFLAGS: -lcuda
#include <cuda.h>
#include <stdlib.h>

// gorgonia.org/cu v0.9.6 frees pinned host memory but has no call that allocates it.
static CUresult gocsp_host_alloc(void **p, size_t n) {
	return cuMemHostAlloc(p, n, CU_MEMHOSTALLOC_PORTABLE);
}

// gocsp_launch launches f with the parameter values in vals (one 8-byte slot each) through the
// pointers in ptrs, both in C memory that a stream keeps for its life: cu's Launch mallocs and
// frees both on every call.
static CUresult gocsp_launch(CUfunction f, unsigned grid, unsigned block, CUstream s, void **ptrs) {
	return cuLaunchKernel(f, grid, 1, 1, block, 1, 1, 0, s, ptrs, NULL);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"unsafe"

	"gorgonia.org/cu"
)

const cudaBuiltIn = true

// cudaDevice is an open GPU: its primary context and the kernels' functions, loaded from the
// embedded PTX (which the driver JIT-compiles for the GPU at hand).
type cudaDevice struct {
	dev  cu.Device
	ctx  cu.CUContext
	mods []cu.Module
	fns  map[string]cu.Function
}

// with runs f with the device's context current on the calling thread. A CUDA context is current
// per OS thread, and a goroutine may move between threads, so every call into the driver goes
// through here.
func (c *cudaDevice) with(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cu.SetCurrentContext(c.ctx); err != nil {
		return fmt.Errorf("cuda: set context: %w", err)
	}
	return f()
}

func openCUDA(ordinal int) (_ *cudaDevice, _ string, err error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, "", fmt.Errorf("cuda: count devices: %w", err)
	}
	if ordinal < 0 || ordinal >= n {
		return nil, "", fmt.Errorf("cuda: no device %d (the driver sees %d)", ordinal, n)
	}
	dev, err := cu.GetDevice(ordinal)
	if err != nil {
		return nil, "", fmt.Errorf("cuda: device %d: %w", ordinal, err)
	}
	name, err := dev.Name()
	if err != nil {
		return nil, "", fmt.Errorf("cuda: device %d name: %w", ordinal, err)
	}
	ctx, err := dev.RetainPrimaryCtx()
	if err != nil {
		return nil, "", fmt.Errorf("cuda: device %d (%s) context: %w", ordinal, name, err)
	}
	c := &cudaDevice{dev: dev, ctx: ctx, fns: make(map[string]cu.Function)}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	err = c.with(func() error {
		files, err := fs.Glob(ptxFiles, "ptx/*.ptx")
		if err != nil {
			return err
		}
		for _, f := range files {
			entry := strings.TrimSuffix(strings.TrimPrefix(f, "ptx/"), ".ptx")
			src, err := ptxSource(entry)
			if err != nil {
				return err
			}
			mod, err := cu.LoadData(src)
			if err != nil {
				return fmt.Errorf("cuda: load PTX %s: %w", f, err)
			}
			c.mods = append(c.mods, mod)
			fn, err := mod.Function(entry)
			if err != nil {
				return fmt.Errorf("cuda: PTX %s has no entry %s: %w", f, entry, err)
			}
			c.fns[entry] = fn
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return c, fmt.Sprintf("%s (CUDA device %d)", name, ordinal), nil
}

func (c *cudaDevice) close() error {
	err := c.with(func() error {
		var errs []error
		for _, m := range c.mods {
			errs = append(errs, m.Unload())
		}
		return errors.Join(errs...)
	})
	c.mods = nil
	return errors.Join(err, c.dev.ReleasePrimaryCtx())
}

func (c *cudaDevice) alloc(size int) (*block, error) {
	var b *block
	err := c.with(func() (err error) {
		b, err = allocBlock(cuMem{}, size)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cuda: allocate a block of %d bytes: %w", size, err)
	}
	return b, nil
}

func (c *cudaDevice) free(b *block) {
	_ = c.with(func() error {
		freeBlock(cuMem{}, b)
		return nil
	})
}

// cuMem is the CUDA driver as a memDriver; its calls need the device's context current.
type cuMem struct{}

func (cuMem) memAlloc(size int) (uintptr, error) {
	p, err := cu.MemAlloc(int64(size))
	if err != nil {
		return 0, fmt.Errorf("device memory: %w", err)
	}
	return uintptr(p), nil
}

func (cuMem) memFree(p uintptr) { _ = cu.MemFree(cu.DevicePtr(p)) }

func (cuMem) hostAlloc(size int) (unsafe.Pointer, error) {
	var p unsafe.Pointer
	if r := C.gocsp_host_alloc(&p, C.size_t(size)); r != C.CUDA_SUCCESS {
		return nil, fmt.Errorf("pinned host memory: CUresult %d", int(r))
	}
	return p, nil
}

func (cuMem) hostFree(p unsafe.Pointer) { _ = cu.MemFreeHost(p) }

func (cuMem) eventCreate() (uintptr, error) {
	var e C.CUevent
	if r := C.cuEventCreate(&e, C.CU_EVENT_DISABLE_TIMING); r != C.CUDA_SUCCESS {
		return 0, fmt.Errorf("event: CUresult %d", int(r))
	}
	return uintptr(unsafe.Pointer(e)), nil
}

func (cuMem) eventDestroy(e uintptr) { C.cuEventDestroy(cEvent(e)) }

// cEvent turns a block's event handle back into the driver's type. The handle is a pointer the
// driver made outside Go's heap, so the round trip through uintptr is safe.
func cEvent(e uintptr) C.CUevent { return *(*C.CUevent)(unsafe.Pointer(&e)) }

// cStream and cFunction reach the driver handles inside cu's Stream and Function, structs of one
// C pointer each that export no accessor usable from another package's cgo.
func cStream(s cu.Stream) C.CUstream       { return *(*C.CUstream)(unsafe.Pointer(&s)) }
func cFunction(f cu.Function) C.CUfunction { return *(*C.CUfunction)(unsafe.Pointer(&f)) }

func check(what string, r C.CUresult) error {
	if r != C.CUDA_SUCCESS {
		return fmt.Errorf("cuda: %s: CUresult %d", what, int(r))
	}
	return nil
}

// maxParams bounds a kernel's parameters: (out, in, n) and the scalars.
const maxParams = 8

// cudaStreams are a process's streams: with overlap one per Pipeline stage, else one for all
// three; and the C memory its launches pass parameters through (one launching goroutine at a
// time uses it: Run's borrower, a Proc, or a Pipeline's kernel stage).
type cudaStreams struct {
	c                *cudaDevice
	overlap          bool
	up, kernel, down cu.Stream
	vals, ptrs       unsafe.Pointer // maxParams 8-byte slots each, C memory
}

func (c *cudaDevice) streams(overlap bool) (streams, error) {
	st := &cudaStreams{c: c, overlap: overlap}
	st.vals = C.malloc(maxParams * 8)
	st.ptrs = C.malloc(maxParams * 8)
	for i := range maxParams {
		*(*unsafe.Pointer)(unsafe.Add(st.ptrs, 8*i)) = unsafe.Add(st.vals, 8*i)
	}
	err := c.with(func() error {
		var err error
		if st.up, err = cu.MakeStream(cu.NonBlocking); err != nil {
			return err
		}
		if !overlap {
			st.kernel, st.down = st.up, st.up
			return nil
		}
		if st.kernel, err = cu.MakeStream(cu.NonBlocking); err != nil {
			return err
		}
		st.down, err = cu.MakeStream(cu.NonBlocking)
		return err
	})
	if err != nil {
		st.close()
		return nil, fmt.Errorf("cuda: make streams: %w", err)
	}
	return st, nil
}

func (st *cudaStreams) upload(b *block, nbytes int) error {
	return st.c.with(func() error {
		if err := cu.MemcpyHtoDAsync(cu.DevicePtr(b.dev), b.pinned, int64(nbytes), st.up); err != nil {
			return fmt.Errorf("cuda: copy to device: %w", err)
		}
		return check("record upload", C.cuEventRecord(cEvent(b.events[0]), cStream(st.up)))
	})
}

// launch queues l on the kernel stream after the last upload of in. Every kernel takes (out, in,
// n) and then its scalars; the driver reads each parameter through a pointer, as many bytes as
// the PTX declares, so each lives in the low bytes of an 8-byte slot (TestPTXParams checks the
// PTX against launch's layout).
func (st *cudaStreams) launch(l launch, in *block, inOff int, out *block, outOff int, n int) error {
	fn, ok := st.c.fns[l.entry]
	if !ok {
		return fmt.Errorf("cuda: kernel %s: no PTX entry %s", l.kernel, l.entry)
	}
	if 3+len(l.params) > maxParams {
		return fmt.Errorf("cuda: kernel %s: %d parameters, more than %d", l.kernel, 3+len(l.params), maxParams)
	}
	return st.c.with(func() error {
		if err := check("wait for upload", C.cuStreamWaitEvent(cStream(st.kernel), cEvent(in.events[0]), 0)); err != nil {
			return err
		}
		l.each(uint64(out.dev)+uint64(outOff), uint64(in.dev)+uint64(inOff), n, func(i int, p param) {
			*(*uint64)(unsafe.Add(st.vals, 8*i)) = p.bits
		})
		r := C.gocsp_launch(cFunction(fn), C.uint(grid(n)), blockSize, cStream(st.kernel), (*unsafe.Pointer)(st.ptrs))
		if r != C.CUDA_SUCCESS {
			return fmt.Errorf("cuda: launch %s: CUresult %d", l.kernel, int(r))
		}
		return check("record launch", C.cuEventRecord(cEvent(out.events[1]), cStream(st.kernel)))
	})
}

func (st *cudaStreams) download(out *block, nbytes int) error {
	return st.c.with(func() error {
		if err := check("wait for launch", C.cuStreamWaitEvent(cStream(st.down), cEvent(out.events[1]), 0)); err != nil {
			return err
		}
		if err := cu.MemcpyDtoHAsync(out.pinned, cu.DevicePtr(out.dev), int64(nbytes), st.down); err != nil {
			return fmt.Errorf("cuda: copy from device: %w", err)
		}
		return st.down.Synchronize()
	})
}

func (st *cudaStreams) sync() error {
	return st.c.with(func() error {
		var errs []error
		for _, s := range st.own() {
			errs = append(errs, s.Synchronize())
		}
		return errors.Join(errs...)
	})
}

// own returns the distinct streams made.
func (st *cudaStreams) own() []cu.Stream {
	var zero cu.Stream
	var ss []cu.Stream
	for i, s := range []cu.Stream{st.up, st.kernel, st.down} {
		if s != zero && (i == 0 || st.overlap) {
			ss = append(ss, s)
		}
	}
	return ss
}

func (st *cudaStreams) close() {
	_ = st.c.with(func() error {
		for _, s := range st.own() {
			s.Destroy()
		}
		return nil
	})
	C.free(st.vals)
	C.free(st.ptrs)
	st.vals, st.ptrs = nil, nil
}
