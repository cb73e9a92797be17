package gpu

import (
	"errors"
	"unsafe"
)

// engine is what the pool, Run, Proc and Pipeline need from a device with memory of its own: the
// CUDA backend, and in tests a double that injects faults and checks that no block goes back to
// the pool while work queued on it may still be running. The CPU backend has none (Device.eng is
// nil): its kernels run on Go memory directly.
type engine interface {
	// alloc returns a block of size bytes: device memory and a pinned host staging area.
	alloc(size int) (*block, error)
	// free frees a block that no queued work uses any more.
	free(*block)
	// streams makes the streams a process queues its work on: one per stage with overlap, else
	// one for all.
	streams(overlap bool) (streams, error)
}

// streams queue a process's work in order. The copies and launches return once queued; download
// returns once the copy it queued has landed. A block on which work was queued may be reused only
// after download or sync has returned nil.
type streams interface {
	// upload queues the copy of the first nbytes of b's staging area to its device memory.
	upload(b *block, nbytes int) error
	// launch queues l over n elements from in (at byte inOff) into out (at byte outOff), after
	// the last upload of in.
	launch(l launch, in *block, inOff int, out *block, outOff, n int) error
	// download copies the first nbytes of out's device memory to its staging area, after the
	// last launch into out, and waits for the copy.
	download(out *block, nbytes int) error
	// sync waits until all work queued on the streams has finished.
	sync() error
	// close destroys the streams; work queued on them still runs.
	close()
}

// memDriver is the part of a driver that allocating and freeing a block goes through, with the
// handles as plain integers: the CUDA driver, and in tests a double that fails where it is told.
type memDriver interface {
	memAlloc(size int) (uintptr, error)
	memFree(uintptr)
	hostAlloc(size int) (unsafe.Pointer, error)
	hostFree(unsafe.Pointer)
	eventCreate() (uintptr, error)
	eventDestroy(uintptr)
}

// allocBlock allocates a block's device memory, pinned staging area and two events through drv.
// When one step fails, exactly the steps done before it are undone, each once (freeBlock frees
// what the block holds and nothing it no longer holds).
func allocBlock(drv memDriver, size int) (*block, error) {
	b := &block{size: size}
	err := func() error {
		var err error
		if b.dev, err = drv.memAlloc(size); err != nil {
			return err
		}
		if b.pinned, err = drv.hostAlloc(size); err != nil {
			return err
		}
		b.host = unsafe.Slice((*byte)(b.pinned), size)
		for i := range b.events {
			if b.events[i], err = drv.eventCreate(); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		freeBlock(drv, b)
		return nil, err
	}
	return b, nil
}

// freeBlock frees what b holds through drv and forgets it, so that a second call frees nothing.
func freeBlock(drv memDriver, b *block) {
	for i, e := range b.events {
		if e != 0 {
			drv.eventDestroy(e)
			b.events[i] = 0
		}
	}
	if b.pinned != nil {
		drv.hostFree(b.pinned)
		b.pinned, b.host = nil, nil
	}
	if b.dev != 0 {
		drv.memFree(b.dev)
		b.dev = 0
	}
}

// errNoStreams is never returned to a user: a CPU device has no streams.
var errNoStreams = errors.New("gpu: the CPU backend has no streams")

// getStreams lends a synchronous stream from the device's cache (made on first need), for Run.
func (d *Device) getStreams() (streams, error) {
	if d.eng == nil {
		return nil, errNoStreams
	}
	d.mu.Lock()
	if n := len(d.idle); n > 0 {
		st := d.idle[n-1]
		d.idle = d.idle[:n-1]
		d.mu.Unlock()
		return st, nil
	}
	d.mu.Unlock()
	return d.eng.streams(false)
}

// putStreams returns a stream lent by getStreams; its work has finished.
func (d *Device) putStreams(st streams) {
	d.mu.Lock()
	if !d.closed {
		d.idle = append(d.idle, st)
		d.mu.Unlock()
		return
	}
	d.mu.Unlock()
	st.close()
}

// settle returns blocks on which work may have been queued on st to the pool once st has
// finished it. If st cannot say that it has (the context has failed), the blocks are withheld
// from the pool: freed at Close, never handed to another process while a copy or a kernel of
// this one may still write them.
func (d *Device) settle(st streams, bs ...*block) {
	if st == nil || st.sync() == nil {
		for _, b := range bs {
			d.pool.put(b)
		}
		return
	}
	for _, b := range bs {
		d.pool.withhold(b)
	}
}

// execOn runs k over each vector of vs on st, writing outs[i] (k.outLen(len(vs[i])) long): the
// vectors gathered straight into one pinned staging block, one upload, one launch for an
// element-wise kernel or one per non-empty vector for a reduction (each writing its blocks'
// partials into its own slots of one output block), all queued before one download.
func (k Kernel[In, Out]) execOn(d *Device, st streams, vs [][]In, outs [][]Out) error {
	l := k.launch()
	total, nout := 0, 0
	for _, v := range vs {
		total += len(v)
		if k.Reduces() {
			if len(v) > 0 {
				nout += grid(len(v))
			}
		} else {
			nout += len(v)
		}
	}
	if total > maxLaunch {
		return errTooLarge(k.name, total)
	}
	if nout == 0 {
		for i := range vs {
			if k.Reduces() {
				outs[i][0] = k.comb(nil)
			}
		}
		return nil
	}
	ib, err := d.pool.get(total * l.inSize)
	if err != nil {
		return err
	}
	ob, err := d.pool.get(nout * l.outSize)
	if err != nil {
		d.pool.put(ib)
		return err
	}
	all := view[In](ib.host, total)
	off := 0
	for _, v := range vs {
		off += copy(all[off:], v)
	}
	err = func() error {
		if err := st.upload(ib, total*l.inSize); err != nil {
			return err
		}
		if !k.Reduces() {
			if err := st.launch(l, ib, 0, ob, 0, total); err != nil {
				return err
			}
		} else {
			in, out := 0, 0
			for _, v := range vs {
				if len(v) == 0 {
					continue
				}
				if err := st.launch(l, ib, in*l.inSize, ob, out*l.outSize, len(v)); err != nil {
					return err
				}
				in += len(v)
				out += grid(len(v))
			}
		}
		return st.download(ob, nout*l.outSize)
	}()
	if err != nil {
		d.settle(st, ib, ob)
		return err
	}
	res := view[Out](ob.host, nout)
	off = 0
	for i, v := range vs {
		switch {
		case !k.Reduces():
			off += copy(outs[i], res[off:off+len(v)])
		case len(v) == 0:
			outs[i][0] = k.comb(nil)
		default:
			outs[i][0] = k.comb(res[off : off+grid(len(v))])
			off += grid(len(v))
		}
	}
	d.pool.put(ib)
	d.pool.put(ob)
	return nil
}
