package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/components"
	"github.com/stretchr/testify/require"
)

// errInjected is what the test doubles fail with.
var errInjected = errors.New("injected fault")

// fakeMem is a memDriver over Go memory that fails the call it is told to and counts frees by
// handle, so that a double free shows.
type fakeMem struct {
	mu        sync.Mutex
	failHost  bool
	failEvent int // fail the n-th event creation (1-based); 0 never
	events    int
	next      uintptr
	dev       map[uintptr][]byte
	host      map[unsafe.Pointer]bool
	live      map[uintptr]bool // events
	frees     map[string]int   // "dev"/"host"/"event" frees of handles not live
}

func newFakeMem() *fakeMem {
	return &fakeMem{dev: map[uintptr][]byte{}, host: map[unsafe.Pointer]bool{}, live: map[uintptr]bool{}, frees: map[string]int{}}
}

func (m *fakeMem) memAlloc(size int) (uintptr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	m.dev[m.next] = make([]byte, size)
	return m.next, nil
}

// devMem returns the "device memory" of handle p.
func (m *fakeMem) devMem(p uintptr) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dev[p]
}

func (m *fakeMem) memFree(p uintptr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dev[p]; !ok {
		m.frees["dev"]++
	}
	delete(m.dev, p)
}

func (m *fakeMem) hostAlloc(size int) (unsafe.Pointer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failHost {
		return nil, errInjected
	}
	mem := make([]uint64, (size+7)/8)
	p := unsafe.Pointer(&mem[0])
	m.host[p] = true
	return p, nil
}

func (m *fakeMem) hostFree(p unsafe.Pointer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.host[p] {
		m.frees["host"]++
	}
	delete(m.host, p)
}

func (m *fakeMem) eventCreate() (uintptr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events++
	if m.events == m.failEvent {
		return 0, errInjected
	}
	m.next++
	m.live[m.next] = true
	return m.next, nil
}

func (m *fakeMem) eventDestroy(e uintptr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.live[e] {
		m.frees["event"]++
	}
	delete(m.live, e)
}

func (m *fakeMem) outstanding() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.dev) + len(m.host) + len(m.live)
}

// fakeEngine is an engine over fakeMem whose streams run each copy and launch at once on the
// blocks' separate "device" memory, but count the work as pending until a download or a sync
// would have waited for it on a GPU; a block returned to the pool with pending work is a
// violation. It fails the n-th call of an operation when told to.
type fakeEngine struct {
	mem        *fakeMem
	mu         sync.Mutex
	failAt     map[string]int // op -> fail its n-th call (1-based)
	calls      map[string]int
	pending    map[*block]int
	violations []string
	streamSets int
	// ptx, if set, makes launches run the kernel's embedded PTX in the interpreter, on the
	// blocks' device memory at the addresses and offsets the launch passes, instead of emulate.
	ptx map[string]*ptxKernel
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{mem: newFakeMem(), failAt: map[string]int{}, calls: map[string]int{}, pending: map[*block]int{}}
}

// openFake returns a device whose engine is f, as a CUDA device's is cudaDevice.
func openFake(t testing.TB, f *fakeEngine) *Device {
	t.Helper()
	d := openCPU(t, 2)
	d.eng = f
	return d
}

func (f *fakeEngine) op(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
	if f.calls[name] == f.failAt[name] {
		return fmt.Errorf("%s: %w", name, errInjected)
	}
	return nil
}

func (f *fakeEngine) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeEngine) alloc(size int) (*block, error) {
	if err := f.op("alloc"); err != nil {
		return nil, err
	}
	return allocBlock(f.mem, size)
}

func (f *fakeEngine) free(b *block) { freeBlock(f.mem, b) }

func (f *fakeEngine) returned(b *block) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending[b] > 0 {
		f.violations = append(f.violations, fmt.Sprintf("block %p returned with %d operations pending", b, f.pending[b]))
	}
}

func (f *fakeEngine) streams(overlap bool) (streams, error) {
	if err := f.op("streams"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.streamSets++
	f.mu.Unlock()
	return &fakeStreams{f: f, queued: map[*block]int{}, reads: map[*block][]*block{}}, nil
}

type fakeStreams struct {
	f      *fakeEngine
	queued map[*block]int      // this set's pending work per block (under f.mu)
	reads  map[*block][]*block // out block -> the input blocks its launches read
}

func (s *fakeStreams) mark(bs ...*block) {
	for _, b := range bs {
		s.queued[b]++
		s.f.pending[b]++
	}
}

func (s *fakeStreams) done(b *block) {
	s.f.pending[b] -= s.queued[b]
	delete(s.queued, b)
}

func (s *fakeStreams) upload(b *block, nbytes int) error {
	if err := s.f.op("upload"); err != nil {
		return err
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	copy(s.f.mem.devMem(b.dev), b.host[:nbytes])
	s.mark(b)
	return nil
}

func (s *fakeStreams) launch(l launch, in *block, inOff int, out *block, outOff, n int) error {
	if err := s.f.op("launch"); err != nil {
		return err
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if s.f.ptx != nil {
		if err := s.f.runPTX(l, in, inOff, out, outOff, n); err != nil {
			return err
		}
	} else {
		src := s.f.mem.devMem(in.dev)[inOff:]
		dst := s.f.mem.devMem(out.dev)[outOff:]
		l.emulate(src, dst, n)
	}
	s.mark(in, out)
	s.reads[out] = append(s.reads[out], in)
	return nil
}

// runPTX launches l's PTX over the fake device memory: each block's memory is an allocation at
// its handle shifted up 32 bits, so an offset past a block's end is a fault, not another block.
func (f *fakeEngine) runPTX(l launch, in *block, inOff int, out *block, outOff, n int) error {
	kp, ok := f.ptx[l.entry]
	if !ok {
		return fmt.Errorf("no PTX %s", l.entry)
	}
	f.mem.mu.Lock()
	var global []ptxAlloc
	for h, mem := range f.mem.dev {
		global = append(global, ptxAlloc{uint64(h) << 32, mem})
	}
	f.mem.mu.Unlock()
	var args []param
	l.each(uint64(out.dev)<<32+uint64(outOff), uint64(in.dev)<<32+uint64(inOff), n, func(_ int, p param) { args = append(args, p) })
	return kp.run(grid(n), blockSize, args, global, forwards)
}

func (s *fakeStreams) download(out *block, nbytes int) error {
	if err := s.f.op("download"); err != nil {
		return err
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	copy(out.host[:nbytes], s.f.mem.devMem(out.dev))
	// The download waited for the launches into out, and they for the uploads they read.
	for _, in := range s.reads[out] {
		s.done(in)
	}
	delete(s.reads, out)
	s.done(out)
	return nil
}

func (s *fakeStreams) sync() error {
	if err := s.f.op("sync"); err != nil {
		return err
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	for b := range s.queued {
		s.done(b)
	}
	clear(s.reads)
	return nil
}

func (s *fakeStreams) close() {}

func (f *fakeEngine) requireClean(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Empty(t, f.violations)
}

// TestAllocFreesEachStepOnce is finding 2: when the pinned host allocation (or an event) fails,
// the device memory already allocated is freed exactly once.
func TestAllocFreesEachStepOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*fakeMem)
	}{
		{"host", func(m *fakeMem) { m.failHost = true }},
		{"event1", func(m *fakeMem) { m.failEvent = 1 }},
		{"event2", func(m *fakeMem) { m.failEvent = 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMem()
			tc.set(m)
			b, err := allocBlock(m, 1024)
			require.ErrorIs(t, err, errInjected)
			require.Nil(t, b)
			require.Empty(t, m.frees, "a handle freed twice")
			require.Zero(t, m.outstanding(), "a handle leaked")
		})
	}
	m := newFakeMem()
	b, err := allocBlock(m, 1024)
	require.NoError(t, err)
	freeBlock(m, b)
	freeBlock(m, b)
	require.Empty(t, m.frees)
	require.Zero(t, m.outstanding())
}

// TestEngineFaultsNeverRecycleBusyBlocks is finding 1: whichever copy, launch or download fails,
// in a Pipeline (overlap on and off, element-wise and reduction, batched) or a Proc, the network
// ends with the error, every block is back, and none went back to the pool while work queued on
// it was pending.
func TestEngineFaultsNeverRecycleBusyBlocks(t *testing.T) {
	type mk func(d *Device, in *csp.Reader[[]float32], out *csp.Writer[[]float64], opts ...ProcOption) []*csp.Process
	forms := map[string]mk{
		"Pipeline": func(d *Device, in *csp.Reader[[]float32], out *csp.Writer[[]float64], opts ...ProcOption) []*csp.Process {
			mid := csp.NewChan[[]float32]()
			return append(Pipeline("sq", d, Map(Square), in, mid.Writer(), opts...),
				Pipeline("sum", d, Sum(), mid.Reader(), out, opts...)...)
		},
		"Proc": func(d *Device, in *csp.Reader[[]float32], out *csp.Writer[[]float64], opts ...ProcOption) []*csp.Process {
			mid := csp.NewChan[[]float32]()
			return []*csp.Process{Proc("sq", d, Map(Square), in, mid.Writer(), opts...),
				Proc("sum", d, Sum(), mid.Reader(), out, opts...)}
		},
	}
	vs := make([][]float32, 12)
	for i := range vs {
		vs[i] = vec(i * 97)
	}
	for name, form := range forms {
		for _, op := range []string{"upload", "launch", "download", "alloc"} {
			for _, nth := range []int{1, 2, 3, 5} {
				for _, overlap := range []bool{true, false} {
					for _, batch := range []int{1, 3} {
						t.Run(fmt.Sprintf("%s/%s#%d/overlap=%v/batch=%d", name, op, nth, overlap, batch), func(t *testing.T) {
							f := newFakeEngine()
							f.failAt[op] = nth
							d := openFake(t, f)
							in, out := csp.NewChan[[]float32](), csp.NewChan[[]float64]()
							var got [][]float64
							procs := append(form(d, in.Reader(), out.Writer(), Overlap(overlap), Batch(batch)),
								components.Generator("gen", vs, in.Writer()),
								components.Collector("col", out.Reader(), &got))
							err := csp.Parallel(procs...)
							require.ErrorIs(t, err, errInjected)
							require.Zero(t, d.InUse())
							f.requireClean(t)
							require.NoError(t, d.Close())
							require.Zero(t, f.mem.outstanding(), "Close frees every block")
						})
					}
				}
			}
		}
	}
}

// TestEngineResultsMatchCPU runs Run, Proc and Pipeline through the engine double and checks
// the results against the CPU backend: the staging, the reductions' partial slots and the
// scatter of a batch are right.
func TestEngineResultsMatchCPU(t *testing.T) {
	t.Run("emulated", func(t *testing.T) { engineResultsMatchCPU(t, newFakeEngine()) })
	t.Run("ptx", func(t *testing.T) {
		// The launches run the real PTX at the very pointers, offsets and partial slots that
		// execOn and the Pipeline pass: what a GPU would be given.
		f := newFakeEngine()
		f.ptx = map[string]*ptxKernel{}
		for name, src := range embeddedPTX(t) {
			kp, err := parsePTX(src)
			require.NoError(t, err)
			f.ptx[strings.TrimSuffix(name, ".ptx")] = kp
		}
		engineResultsMatchCPU(t, f)
	})
}

func engineResultsMatchCPU(t *testing.T, f *fakeEngine) {
	c := openCPU(t, 2)
	d := openFake(t, f)
	ctx := context.Background()
	for _, n := range interpSizes {
		x := vec(n)[:n]
		want, err := Run(ctx, c, Sum(), x)
		require.NoError(t, err)
		got, err := Run(ctx, d, Sum(), x)
		require.NoError(t, err)
		require.InDelta(t, want[0], got[0], 1e-9*float64(n*n*100)+1e-300, "n=%d", n)
		ws, err := Run(ctx, c, Map(Sqrt), x)
		require.NoError(t, err)
		gs, err := Run(ctx, d, Map(Sqrt), x)
		require.NoError(t, err)
		require.Equal(t, ws, gs)
	}
	for name, mk := range stages {
		for _, batch := range []int{1, 4} {
			in, out := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
			var vs [][]float32
			for i := range 9 {
				vs = append(vs, vec(i*31))
			}
			vs = append(vs, []float32{})
			var got [][]float32
			procs := append(mk(d, Map(Square), in.Reader(), out.Writer(), Batch(batch)),
				components.Generator("gen", vs, in.Writer()),
				components.Collector("col", out.Reader(), &got))
			require.NoError(t, csp.Parallel(procs...), name)
			require.Len(t, got, len(vs))
			for i, v := range vs {
				require.Len(t, got[i], len(v))
				for j, x := range v {
					require.Equal(t, x*x, got[i][j])
				}
			}
		}
	}
	// Batches of reductions: each vector's partials in its own slots of one output block.
	var vs [][]float32
	r := rand.New(rand.NewPCG(9, 9))
	for _, n := range interpSizes {
		vs = append(vs, randF32(r, n)) // finite: a NaN or an infinity would hide a wrong slot
	}
	requireSums := func(got [][]float64, what string) {
		t.Helper()
		require.Len(t, got, len(vs))
		for i, v := range vs {
			want, err := Run(ctx, c, Sum(), v)
			require.NoError(t, err)
			var mag float64
			for _, x := range v {
				mag += math.Abs(float64(x))
			}
			require.InDelta(t, want[0], got[i][0], 1e-9*mag+1e-300, "%s vector %d", what, i)
		}
	}
	// One batch of them all, as a Proc gathers it (the gatherer's batches depend on timing).
	sums, err := Sum().execBatch(d, mustStreams(t, d), vs)
	require.NoError(t, err)
	requireSums(sums, "one batch")
	for _, pipelined := range []bool{false, true} {
		in, out := csp.NewChan[[]float32](), csp.NewChan[[]float64]()
		var procs []*csp.Process
		if pipelined {
			procs = Pipeline("sum", d, Sum(), in.Reader(), out.Writer(), Batch(4))
		} else {
			procs = []*csp.Process{Proc("sum", d, Sum(), in.Reader(), out.Writer(), Batch(4))}
		}
		var got [][]float64
		procs = append(procs, components.Generator("gen", vs, in.Writer()), components.Collector("col", out.Reader(), &got))
		require.NoError(t, csp.Parallel(procs...))
		requireSums(got, fmt.Sprintf("pipelined %v", pipelined))
	}
	require.Zero(t, d.InUse())
	f.requireClean(t)
}

// TestProcStagesOnceAndOwnsAStream is finding 3: a batch of element-wise vectors is gathered
// straight into one staging block (one upload, one launch, one download, two blocks out at
// most), a batch of reductions queues its launches before one download, and each Proc queues on
// streams of its own, not on a device-wide default stream.
func TestProcStagesOnceAndOwnsAStream(t *testing.T) {
	f := newFakeEngine()
	d := openFake(t, f)
	vs := [][]float32{vec(3), vec(100), {}, vec(7)}
	maxOut := 0
	res, err := Map(Neg).execBatch(d, mustStreams(t, d), vs)
	require.NoError(t, err)
	for i, v := range vs {
		for j, x := range v {
			require.Equal(t, -x, res[i][j])
		}
	}
	maxOut = max(maxOut, f.mem.outstanding()/4) // dev, host and two events per block
	require.Equal(t, 1, f.count("upload"))
	require.Equal(t, 1, f.count("launch"))
	require.Equal(t, 1, f.count("download"))
	require.LessOrEqual(t, maxOut, 2, "blocks allocated for one batch")

	_, err = Sum().execBatch(d, mustStreams(t, d), vs)
	require.NoError(t, err)
	require.Equal(t, 2, f.count("upload"))
	require.Equal(t, 1+3, f.count("launch"), "one launch per non-empty vector")
	require.Equal(t, 2, f.count("download"), "one download for the whole batch of reductions")

	before := f.streamSets
	in1, out1 := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
	in2, out2 := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
	var g1, g2 [][]float32
	require.NoError(t, csp.Parallel(
		Proc("a", d, Map(Square), in1.Reader(), out1.Writer()),
		Proc("b", d, Map(Square), in2.Reader(), out2.Writer()),
		components.Generator("g1", [][]float32{vec(1)}, in1.Writer()),
		components.Generator("g2", [][]float32{vec(2)}, in2.Writer()),
		components.Collector("c1", out1.Reader(), &g1),
		components.Collector("c2", out2.Reader(), &g2)))
	require.Equal(t, before+2, f.streamSets, "each Proc makes its own streams")
	require.Zero(t, d.InUse())
	f.requireClean(t)
}

func mustStreams(t *testing.T, d *Device) streams {
	st, err := d.eng.streams(false)
	require.NoError(t, err)
	t.Cleanup(st.close)
	return st
}

// interpSizes are the sizes every kernel runs at through the test doubles and the PTX
// interpreter: empty, one, around the block size, and a few blocks.
var interpSizes = []int{0, 1, 7, 255, 256, 257, 1000, 3001}
