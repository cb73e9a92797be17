package gpu

import (
	"math/bits"
	"sync"
	"unsafe"
)

// block is one pooled allocation: on the CPU backend host memory that stands in for device
// memory; on CUDA device memory plus a pinned host staging area of the same size, through which
// the asynchronous copies go (pinned memory is what lets a copy overlap a kernel, and it is C
// memory, which the driver may keep using after the call that queued the copy has returned).
type block struct {
	size   int    // bytes, a power of two
	host   []byte // CPU: the memory itself; an engine's: the pinned staging area
	dev    uintptr
	pinned unsafe.Pointer
	// events, on CUDA: [0] recorded after the last upload into the block, [1] after the last
	// launch into it, which the next stage's stream waits for.
	events [2]uintptr
}

// minBlock is the smallest size class: small vectors share one class instead of fragmenting.
const minBlock = 256

// pool recycles blocks by size class, so that a stream of equally sized batches allocates device
// memory once.
type pool struct {
	d      *Device
	mu     sync.Mutex
	free   map[int][]*block
	out    int
	closed bool
	// withheld are blocks whose queued work could not be waited for: never reused, freed at
	// Close.
	withheld []*block
}

func (p *pool) init(d *Device) {
	p.d = d
	p.free = make(map[int][]*block)
}

func sizeClass(n int) int {
	if n <= minBlock {
		return minBlock
	}
	return 1 << bits.Len(uint(n-1))
}

// get returns a block of at least n bytes.
func (p *pool) get(n int) (*block, error) {
	class := sizeClass(n)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if l := p.free[class]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[class] = l[:len(l)-1]
		p.out++
		p.mu.Unlock()
		return b, nil
	}
	p.out++
	p.mu.Unlock()
	b, err := p.alloc(class)
	if err != nil {
		p.mu.Lock()
		p.out--
		p.mu.Unlock()
		return nil, err
	}
	return b, nil
}

func (p *pool) alloc(class int) (*block, error) {
	if p.d.eng != nil {
		return p.d.eng.alloc(class)
	}
	// []uint64 so that every element type the kernels use is aligned.
	mem := make([]uint64, class/8)
	return &block{size: class, host: unsafe.Slice((*byte)(unsafe.Pointer(&mem[0])), class)}, nil
}

// put returns a block; after Close it is freed at once.
func (p *pool) put(b *block) {
	if b == nil {
		return
	}
	if c, ok := p.d.eng.(interface{ returned(*block) }); ok {
		c.returned(b) // a test double checks that no queued work still uses b
	}
	p.mu.Lock()
	p.out--
	if !p.closed {
		p.free[b.size] = append(p.free[b.size], b)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.release(b)
}

// withhold takes back a block that may still be in use by queued work: it counts as returned,
// but is only freed by Close.
func (p *pool) withhold(b *block) {
	p.mu.Lock()
	p.out--
	if !p.closed {
		p.withheld = append(p.withheld, b)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.release(b)
}

func (p *pool) release(b *block) {
	if p.d.eng != nil {
		p.d.eng.free(b)
	}
}

func (p *pool) inUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out
}

// drain frees every pooled block and makes later gets fail.
func (p *pool) drain() {
	p.mu.Lock()
	p.closed = true
	free := p.free
	p.free = nil
	free[-1] = p.withheld
	p.withheld = nil
	p.mu.Unlock()
	for _, l := range free {
		for _, b := range l {
			p.release(b)
		}
	}
}

// view returns the first n elements of T in mem.
func view[T any](mem []byte, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&mem[0])), n)
}

// bytesOf returns the memory of s as bytes.
func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}
