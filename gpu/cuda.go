//go:build cuda

package gpu

/*
#cgo LDFLAGS: -lcuda
#include <cuda.h>

// gorgonia.org/cu v0.9.6 frees pinned host memory but has no call that allocates it.
static CUresult gocsp_host_alloc(void **p, size_t n) {
	return cuMemHostAlloc(p, n, CU_MEMHOSTALLOC_PORTABLE);
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

// cudaBlock is a block's device side: its device memory, its pinned host staging area, and the
// events that order a Pipeline's stages on it.
type cudaBlock struct {
	dev        cu.DevicePtr
	host       unsafe.Pointer
	up, kernel cu.Event
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
	b := &block{size: size}
	err := c.with(func() error {
		var err error
		if b.cuda.dev, err = cu.MemAlloc(int64(size)); err != nil {
			return fmt.Errorf("cuda: allocate %d bytes of device memory: %w", size, err)
		}
		var p unsafe.Pointer
		if r := C.gocsp_host_alloc(&p, C.size_t(size)); r != C.CUDA_SUCCESS {
			cu.MemFree(b.cuda.dev)
			return fmt.Errorf("cuda: allocate %d bytes of pinned host memory: CUresult %d", size, int(r))
		}
		b.cuda.host = p
		b.host = unsafe.Slice((*byte)(p), size)
		if b.cuda.up, err = cu.MakeEvent(cu.DisableTiming); err != nil {
			return err
		}
		b.cuda.kernel, err = cu.MakeEvent(cu.DisableTiming)
		return err
	})
	if err != nil {
		c.free(b)
		return nil, err
	}
	return b, nil
}

func (c *cudaDevice) free(b *block) {
	_ = c.with(func() error {
		var zero cu.Event
		if b.cuda.up != zero {
			cu.DestroyEvent(&b.cuda.up)
		}
		if b.cuda.kernel != zero {
			cu.DestroyEvent(&b.cuda.kernel)
		}
		if b.cuda.host != nil {
			cu.MemFreeHost(b.cuda.host)
		}
		if b.cuda.dev != 0 {
			cu.MemFree(b.cuda.dev)
		}
		return nil
	})
	b.cuda = cudaBlock{}
	b.host = nil
}

// launchOn queues l over n elements from in to out on s. Every kernel takes (out, in, n) and
// then its scalars; the driver reads each parameter through a pointer, and cu's Launch copies 8
// bytes from each, so every one lives in a uint64.
func (c *cudaDevice) launchOn(l launch, in, out cu.DevicePtr, n int, s cu.Stream) error {
	fn, ok := c.fns[l.entry]
	if !ok {
		return fmt.Errorf("cuda: kernel %s: no PTX entry %s", l.kernel, l.entry)
	}
	vals := make([]uint64, 3+len(l.params))
	vals[0], vals[1], vals[2] = uint64(out), uint64(in), uint64(n)
	copy(vals[3:], l.params)
	ptrs := make([]unsafe.Pointer, len(vals))
	for i := range vals {
		ptrs[i] = unsafe.Pointer(&vals[i])
	}
	if err := fn.Launch(grid(n), 1, 1, blockSize, 1, 1, 0, s, ptrs); err != nil {
		return fmt.Errorf("cuda: launch %s: %w", l.kernel, err)
	}
	return nil
}

// cudaExec runs l once, synchronously, on Go memory: through pooled blocks, since only pinned
// memory may be copied while the Go call that queued the copy has returned.
func (d *Device) cudaExec(l launch, in []byte, n int, out []byte, comb func(parts []byte, n int)) error {
	if n == 0 {
		if comb != nil {
			comb(nil, 0)
		}
		return nil
	}
	outBytes := len(out)
	parts := 0
	if l.reduce {
		parts = grid(n)
		outBytes = parts * l.outSize
	}
	ib, err := d.pool.get(len(in))
	if err != nil {
		return err
	}
	defer d.pool.put(ib)
	ob, err := d.pool.get(outBytes)
	if err != nil {
		return err
	}
	defer d.pool.put(ob)
	copy(ib.host, in)
	c := d.cu
	err = c.with(func() error {
		var s cu.Stream // the legacy default stream: the copies below wait for it
		if err := cu.MemcpyHtoD(ib.cuda.dev, ib.cuda.host, int64(len(in))); err != nil {
			return fmt.Errorf("cuda: copy to device: %w", err)
		}
		if err := c.launchOn(l, ib.cuda.dev, ob.cuda.dev, n, s); err != nil {
			return err
		}
		if err := cu.MemcpyDtoH(ob.cuda.host, ob.cuda.dev, int64(outBytes)); err != nil {
			return fmt.Errorf("cuda: copy from device (kernel %s): %w", l.kernel, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if l.reduce {
		comb(ob.host, parts)
		return nil
	}
	copy(out, ob.host[:outBytes])
	return nil
}

// cudaStreams are a Pipeline's streams: one per stage with overlap, else one for all three, each
// stage then waiting for its own work.
type cudaStreams struct {
	c                *cudaDevice
	overlap          bool
	up, kernel, down cu.Stream
}

func (c *cudaDevice) streams(overlap bool) (*cudaStreams, error) {
	st := &cudaStreams{c: c, overlap: overlap}
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
		if err := cu.MemcpyHtoDAsync(b.cuda.dev, b.cuda.host, int64(nbytes), st.up); err != nil {
			return fmt.Errorf("cuda: copy to device: %w", err)
		}
		if err := b.cuda.up.Record(st.up); err != nil {
			return err
		}
		if !st.overlap {
			return st.up.Synchronize()
		}
		return nil
	})
}

func (st *cudaStreams) launch(l launch, in *block, inOff int, out *block, outOff int, n int) error {
	return st.c.with(func() error {
		if err := st.kernel.Wait(in.cuda.up, 0); err != nil {
			return err
		}
		src := in.cuda.dev + cu.DevicePtr(inOff)
		dst := out.cuda.dev + cu.DevicePtr(outOff)
		if err := st.c.launchOn(l, src, dst, n, st.kernel); err != nil {
			return err
		}
		if err := out.cuda.kernel.Record(st.kernel); err != nil {
			return err
		}
		if !st.overlap {
			return st.kernel.Synchronize()
		}
		return nil
	})
}

func (st *cudaStreams) download(out *block, nbytes int) error {
	return st.c.with(func() error {
		if err := st.down.Wait(out.cuda.kernel, 0); err != nil {
			return err
		}
		if err := cu.MemcpyDtoHAsync(out.cuda.host, out.cuda.dev, int64(nbytes), st.down); err != nil {
			return fmt.Errorf("cuda: copy from device: %w", err)
		}
		return st.down.Synchronize()
	})
}

func (st *cudaStreams) close() {
	_ = st.c.with(func() error {
		var zero cu.Stream
		for _, s := range []*cu.Stream{&st.up, &st.kernel, &st.down} {
			if *s != zero && (s == &st.up || st.overlap) {
				s.Destroy()
			}
		}
		return nil
	})
}
