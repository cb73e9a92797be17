package gpu

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gocsp/gocsp/csp"
)

// Buffer is one batch in pooled device memory on its way between the stages of a Pipeline: the
// upload stage fills its input, the kernel stage its output, and the download stage copies the
// output out and returns the memory to the pool. Only a Pipeline's own processes make and take
// Buffers; the type is exported so that the channels between them can be named in topologies.
type Buffer struct {
	in, out *block
	lens    []int // elements of each vector of the batch
	total   int   // sum of lens
	parts   []int // reductions on CUDA: partials written for each vector
}

// release returns b's blocks to the pool once the work queued on them has finished (see
// Device.settle): a stage that fails or is poisoned after queuing a copy or a launch must not
// hand the memory to another process while that work may still write it.
func (b *Buffer) release(d *Device, st streams) {
	var bs []*block
	for _, x := range []*block{b.in, b.out} {
		if x != nil {
			bs = append(bs, x)
		}
	}
	b.in, b.out = nil, nil
	d.settle(st, bs...)
}

// pipelineShared is what a Pipeline's three stages share: the CUDA streams, made by whichever
// stage runs first and destroyed by the last to end.
type pipelineShared struct {
	d       *Device
	overlap bool
	once    sync.Once
	st      streams
	err     error
	ended   atomic.Int32
}

func (s *pipelineShared) streams() (streams, error) {
	if s.d.eng == nil {
		return nil, nil
	}
	s.once.Do(func() { s.st, s.err = s.d.eng.streams(s.overlap) })
	return s.st, s.err
}

// serialise waits for st's work when overlap is off: the baseline, in which each stage waits for
// its own work.
func (s *pipelineShared) serialise(st streams) error {
	if s.overlap {
		return nil
	}
	return st.sync()
}

// stream returns the streams if made, for a release; nil on the CPU.
func (s *pipelineShared) stream() streams {
	st, err := s.streams()
	if err != nil {
		return nil
	}
	return st
}

func (s *pipelineShared) end() {
	if s.ended.Add(1) == 3 && s.st != nil {
		s.st.close()
	}
}

// Pipeline returns the computation of Proc as three processes, linked by two channels of
// *Buffer named name+"/uploaded" and name+"/computed":
//
//   - name+"/upload" gathers up to Batch vectors (as Proc does), copies them into pooled device memory and passes
//     the buffer on;
//   - name+"/kernel" launches k over it into a second pooled buffer;
//   - name+"/download" copies the results out, returns both buffers to the pool and writes one
//     result vector per input vector to out.
//
// On CUDA each stage has its own stream and waits for the stage before through an event, so the
// upload of one batch, the kernel of the one before and the download of the one before that run
// at once (Overlap(false) serialises them, as a baseline). A retire or a poison travels through
// the stages like through any pipeline: a batch handed on before it is still delivered, and every
// buffer returns to the pool. Add all three processes to the network.
func Pipeline[In, Out any](name string, d *Device, k Kernel[In, Out], in *csp.Reader[[]In], out *csp.Writer[[]Out], opts ...ProcOption) []*csp.Process {
	checkProc("Pipeline", name, d, k, in, out)
	cfg := procOptions("Pipeline", opts)
	sh := &pipelineShared{d: d, overlap: cfg.overlap}
	uploaded := csp.NewChan[*Buffer](csp.Named(name + "/uploaded"))
	computed := csp.NewChan[*Buffer](csp.Named(name + "/computed"))
	var inZ In
	var outZ Out
	inSize, outSize := int(unsafe.Sizeof(inZ)), int(unsafe.Sizeof(outZ))
	l := k.launch()

	upW := uploaded.Writer()
	upload := csp.Proc(name+"/upload", func(context.Context) error {
		defer sh.end()
		g := newGatherer(in, cfg.batch)
		batch := make([][]In, 0, cfg.batch)
		send := func() error {
			defer clear(batch)
			st, err := sh.streams()
			if err != nil {
				return fmt.Errorf("gpu process %s/upload: %w", name, err)
			}
			b := &Buffer{lens: make([]int, len(batch))}
			for i, v := range batch {
				b.lens[i] = len(v)
				b.total += len(v)
			}
			if b.total > maxLaunch {
				return fmt.Errorf("gpu process %s/upload: batch of %d elements, more than one launch takes", name, b.total)
			}
			if b.in, err = d.pool.get(b.total * inSize); err != nil {
				return fmt.Errorf("gpu process %s/upload: %w", name, err)
			}
			all := view[In](b.in.host, b.total)
			off := 0
			for _, v := range batch {
				off += copy(all[off:], v)
			}
			if st != nil {
				err := st.upload(b.in, b.total*inSize)
				if err == nil {
					err = sh.serialise(st)
				}
				if err != nil {
					b.release(d, st)
					return fmt.Errorf("gpu process %s/upload: %w", name, err)
				}
			}
			if err := upW.Write(b); err != nil {
				b.release(d, sh.stream())
				return err
			}
			return nil
		}
		for {
			var rerr error
			if batch, rerr = g.next(batch); len(batch) > 0 {
				if err := send(); err != nil {
					return err
				}
			}
			// ErrRetired is the normal end of the input: nil, so that the framework retires
			// this process's other ends and the end travels on; nil rather than the ErrRetired
			// itself keeps the result "ended normally" for every runner, also one that counts a
			// returned ErrRetired as a failure (as components/termination.go says).
			if errors.Is(rerr, csp.ErrRetired) {
				return nil
			}
			if rerr != nil {
				return rerr
			}
		}
	}, in, upW)

	upR, compW := uploaded.Reader(), computed.Writer()
	kernel := csp.Proc(name+"/kernel", func(context.Context) error {
		defer sh.end()
		for {
			b, err := upR.Read()
			if err != nil {
				// ErrRetired is the normal end of the input: nil, so that the framework retires
				// this process's other ends and the end travels on; nil rather than the ErrRetired
				// itself keeps the result "ended normally" for every runner, also one that counts a
				// returned ErrRetired as a failure (as components/termination.go says).
				if errors.Is(err, csp.ErrRetired) {
					return nil
				}
				return err
			}
			if err := runStage(d, sh, k, l, b, outSize); err != nil {
				b.release(d, sh.stream())
				return fmt.Errorf("gpu process %s/kernel: %w", name, err)
			}
			if err := compW.Write(b); err != nil {
				b.release(d, sh.stream())
				return err
			}
		}
	}, upR, compW)

	compR := computed.Reader()
	download := csp.Proc(name+"/download", func(context.Context) error {
		defer sh.end()
		for {
			b, err := compR.Read()
			if err != nil {
				// ErrRetired is the normal end of the input: nil, so that the framework retires
				// this process's other ends and the end travels on; nil rather than the ErrRetired
				// itself keeps the result "ended normally" for every runner, also one that counts a
				// returned ErrRetired as a failure (as components/termination.go says).
				if errors.Is(err, csp.ErrRetired) {
					return nil
				}
				return err
			}
			res, err := fetchStage(d, sh, k, b, outSize)
			if err == nil {
				b.release(d, nil) // the download waited for every copy and launch of b
			} else {
				b.release(d, sh.stream())
			}
			if err != nil {
				return fmt.Errorf("gpu process %s/download: %w", name, err)
			}
			for _, r := range res {
				if err := out.Write(r); err != nil {
					return err
				}
			}
		}
	}, compR, out)

	label(upload, d, k, cfg).SetKind("gpu.upload")
	label(kernel, d, k, cfg)
	label(download, d, k, cfg).SetKind("gpu.download")
	return []*csp.Process{upload, kernel, download}
}

// runStage launches k over b's input into a fresh output block.
func runStage[In, Out any](d *Device, sh *pipelineShared, k Kernel[In, Out], l launch, b *Buffer, outSize int) error {
	st, err := sh.streams()
	if err != nil {
		return err
	}
	if st == nil {
		outN := len(b.lens)
		if !k.Reduces() {
			outN = b.total
		}
		if b.out, err = d.pool.get(outN * outSize); err != nil {
			return err
		}
		in, out := view[In](b.in.host, b.total), view[Out](b.out.host, outN)
		if !k.Reduces() {
			k.cpu(d, in, out)
			return nil
		}
		off := 0
		for i, n := range b.lens {
			k.cpu(d, in[off:off+n], out[i:i+1])
			off += n
		}
		return nil
	}
	if !k.Reduces() {
		if b.out, err = d.pool.get(b.total * outSize); err != nil {
			return err
		}
		if err := st.launch(l, b.in, 0, b.out, 0, b.total); err != nil {
			return err
		}
		return sh.serialise(st)
	}
	// A reduction launches once per vector, each writing its blocks' partials after the last.
	b.parts = make([]int, len(b.lens))
	nparts := 0
	for i, n := range b.lens {
		b.parts[i] = grid(n)
		nparts += b.parts[i]
	}
	if b.out, err = d.pool.get(nparts * outSize); err != nil {
		return err
	}
	inOff, outOff := 0, 0
	for i, n := range b.lens {
		if err := st.launch(l, b.in, inOff*l.inSize, b.out, outOff*outSize, n); err != nil {
			return err
		}
		inOff += n
		outOff += b.parts[i]
	}
	return sh.serialise(st)
}

// fetchStage copies b's results out into fresh vectors, one per input vector.
func fetchStage[In, Out any](d *Device, sh *pipelineShared, k Kernel[In, Out], b *Buffer, outSize int) ([][]Out, error) {
	st, err := sh.streams()
	if err != nil {
		return nil, err
	}
	res := make([][]Out, len(b.lens))
	if k.Reduces() && st != nil {
		nparts := 0
		for _, p := range b.parts {
			nparts += p
		}
		if err := st.download(b.out, nparts*outSize); err != nil {
			return nil, err
		}
		parts := view[Out](b.out.host, nparts)
		off := 0
		for i, p := range b.parts {
			res[i] = []Out{k.comb(parts[off : off+p])}
			off += p
		}
		return res, nil
	}
	outN := len(b.lens)
	if !k.Reduces() {
		outN = b.total
	}
	if st != nil {
		if err := st.download(b.out, outN*outSize); err != nil {
			return nil, err
		}
	}
	all := make([]Out, outN)
	copy(all, view[Out](b.out.host, outN))
	if k.Reduces() {
		for i := range res {
			res[i] = all[i : i+1 : i+1]
		}
		return res, nil
	}
	off := 0
	for i, n := range b.lens {
		res[i] = all[off : off+n : off+n]
		off += n
	}
	return res, nil
}
