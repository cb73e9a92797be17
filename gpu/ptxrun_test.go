package gpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// runPTX launches the parsed kernel kp, as the CUDA backend launches kern, over in with gridDim
// blocks of blockSize threads, in and out each in an allocation of exactly their size, and
// returns what it wrote: len(in) outputs, or gridDim partials for a reduction.
func runPTX[In, Out any](kp *ptxKernel, kern Kernel[In, Out], in []In, gridDim int, order ptxOrder) ([]Out, error) {
	l := kern.launch()
	n := len(in)
	outN := n
	if l.reduce {
		outN = gridDim
	}
	inMem := append([]byte(nil), bytesOf(in)...)
	outMem := make([]byte, outN*l.outSize)
	const inBase, outBase = globalBase, 2 * globalBase
	var args []param
	l.each(outBase, inBase, n, func(_ int, p param) { args = append(args, p) })
	global := []ptxAlloc{{inBase, inMem}, {outBase, outMem}}
	if err := kp.run(gridDim, blockSize, args, global, order); err != nil {
		return nil, err
	}
	// Copy out of the byte slice into properly typed and aligned memory.
	out := make([]Out, outN)
	copy(bytesOf(out), outMem)
	return out, nil
}

// grids returns the grids a size runs with: the real one, and 1 and 3 blocks.
func grids(n int) []int {
	gs := []int{grid(n)}
	for _, g := range []int{1, 3} {
		if g != gs[0] {
			gs = append(gs, g)
		}
	}
	return gs
}

// compareKernel runs kern's PTX (src) through the interpreter at every size of interpSizes,
// each grid of grids and both thread orders, and compares with the CPU backend through eq; it
// returns the first difference or fault.
func compareKernel[In, Out any](src string, cpu *Device, kern Kernel[In, Out], input func(n int) []In, eq func(want []Out, got []Out, in []In) error) error {
	kp, err := parsePTX(src)
	if err != nil {
		return err
	}
	for _, n := range interpSizes {
		in := input(n)
		want, err := Run(context.Background(), cpu, kern, in)
		if err != nil {
			return err
		}
		for _, g := range grids(n) {
			for _, order := range []ptxOrder{forwards, reversed} {
				got, err := runPTX(kp, kern, in, g, order)
				if err != nil {
					return fmt.Errorf("%s n=%d grid=%d order=%d: %w", kern.name, n, g, order, err)
				}
				if kern.Reduces() {
					got = []Out{kern.comb(got)}
				}
				if err := eq(want, got, in); err != nil {
					return fmt.Errorf("%s n=%d grid=%d order=%d: %w", kern.name, n, g, order, err)
				}
			}
		}
	}
	return nil
}

// specialF32 are the float32 values every float kernel sees besides random ones.
var specialF32 = []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	math.Float32frombits(0x7fc00001), math.Float32frombits(0xffa00000), math.SmallestNonzeroFloat32, -1e-40,
	math.MaxFloat32, -math.MaxFloat32, 3.4e38, 1.1754943e-38}

func floatInput(seed uint64) func(n int) []float32 {
	return func(n int) []float32 {
		r := rand.New(rand.NewPCG(seed, uint64(n)))
		x := randF32(r, n)
		for i := range x {
			if i%11 == 5 {
				x[i] = specialF32[r.IntN(len(specialF32))]
			}
		}
		return x
	}
}

// sameF32 compares bit for bit; a NaN only as a NaN, since GPU arithmetic returns the canonical
// NaN where the CPU keeps the payload (TestNaNPayloads).
func sameF32(want, got []float32, _ []float32) error {
	if len(want) != len(got) {
		return fmt.Errorf("%d outputs, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w != w && g != g {
			continue
		}
		if math.Float32bits(w) != math.Float32bits(g) {
			return fmt.Errorf("element %d: %v (%#x), want %v (%#x)", i, g, math.Float32bits(g), w, math.Float32bits(w))
		}
	}
	return nil
}

func exact[T comparable](want, got []T, _ any) error {
	if len(want) != len(got) {
		return fmt.Errorf("%d outputs, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i] != got[i] {
			return fmt.Errorf("element %d: %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

// checkEntry runs the PTX src of entry against the CPU backend, every kernel that uses it.
func checkEntry(cpu *Device, entry, src string) error {
	switch entry {
	case "saxpy":
		in := func(n int) []XY {
			x, y := floatInput(1)(n), floatInput(2)(n)
			xy := make([]XY, n)
			for i := range xy {
				xy[i] = XY{x[i], y[i]}
			}
			return xy
		}
		return compareKernel(src, cpu, SAXPY(-1.25), in, func(want, got []float32, _ []XY) error { return sameF32(want, got, nil) })
	case "map_f32":
		for op := Square; op < numMapOps; op++ {
			if err := compareKernel(src, cpu, Map(op), floatInput(3), sameF32); err != nil {
				return err
			}
		}
		return nil
	case "sum_f32":
		return compareKernel(src, cpu, Sum(), floatInput(4), func(want, got []float64, in []float32) error {
			var mag float64
			for _, v := range in {
				if !math.IsInf(float64(v), 0) && v == v {
					mag += math.Abs(float64(v))
				}
			}
			w, g := want[0], got[0]
			if w == g || (w != w && g != g) || math.Abs(w-g) <= 1e-9*mag {
				return nil
			}
			return fmt.Errorf("sum %v, want %v (tolerance %v)", g, w, 1e-9*mag)
		})
	case "mandelbrot":
		in := func(n int) []complex128 {
			r := rand.New(rand.NewPCG(5, uint64(n)))
			cs := make([]complex128, n)
			for i := range cs {
				cs[i] = complex(r.Float64()*3-2, r.Float64()*3-1.5)
			}
			return cs
		}
		return compareKernel(src, cpu, Mandelbrot(100), in, func(want, got []uint32, _ []complex128) error { return exact(want, got, nil) })
	case "pi_hits":
		in := func(n int) []uint64 { return PiCounters(uint64(n)<<40|0xfffffff0, n) }
		return compareKernel(src, cpu, PiHits(0x0123456789abcdef), in, func(want, got []uint64, _ []uint64) error { return exact(want, got, nil) })
	}
	return fmt.Errorf("no kernel uses entry %s", entry)
}

// TestPTXInterpretedMatchesCPU executes every embedded kernel's PTX in the interpreter, at each
// of interpSizes, with the real grid and with 1 and 3 blocks, threads forwards and reversed
// between barriers, and compares with the CPU backend bit for bit (the sum within its
// tolerance).
func TestPTXInterpretedMatchesCPU(t *testing.T) {
	cpu := openCPU(t, 2)
	files := embeddedPTX(t)
	require.Len(t, files, 5)
	for name, src := range files {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, checkEntry(cpu, strings.TrimSuffix(name, ".ptx"), src))
		})
	}
}

// TestPTXInterpreterCatchesPlantedBugs plants bugs in the PTX text and checks that the
// comparison above fails on each: so a missing barrier, a wrong offset or stride, a changed
// constant or a parameter of the wrong type or order cannot pass unseen.
func TestPTXInterpreterCatchesPlantedBugs(t *testing.T) {
	cpu := openCPU(t, 2)
	files := embeddedPTX(t)
	for _, m := range []struct {
		name, file, old, new string
		nth                  int // which occurrence (1-based); 0 all
	}{
		{"first barrier removed", "sum_f32.ptx", "\tbar.sync \t0;\n", "", 1},
		{"tree barrier removed", "sum_f32.ptx", "\tbar.sync \t0;\n", "", 2},
		{"pi barrier removed", "pi_hits.ptx", "\tbar.sync \t0;\n", "", 1},
		{"pi tree barrier removed", "pi_hits.ptx", "\tbar.sync \t0;\n", "", 2},
		{"y offset", "saxpy.ptx", "[%rd4+4]", "[%rd4+8]", 1},
		{"input stride", "saxpy.ptx", "%rd3, %r5, 8;", "%rd3, %r5, 4;", 1},
		{"output stride", "saxpy.ptx", "%rd5, %r5, 4;", "%rd5, %r5, 8;", 1},
		{"imaginary offset", "mandelbrot.ptx", "[%rd4+8]", "[%rd4]", 1},
		{"grid stride", "map_f32.ptx", "mul.lo.u32 \t%r6, %r6, %r3;", "shl.b32 \t%r6, %r6, 9;", 1},
		{"abs mask", "map_f32.ptx", "2147483647", "2147483646", 1},
		{"philox multiplier", "pi_hits.ptx", "-766435501", "-766435500", 0},
		{"philox rounds", "pi_hits.ptx", "%r16, 10;", "%r16, 9;", 1},
		{"tree writes the wrong slot", "sum_f32.ptx", "st.shared.f64 \t[%rd7], %fd5;", "st.shared.f64 \t[%rd9], %fd5;", 1},
		{"parameter type", "saxpy.ptx", ".param .f32 saxpy_a", ".param .u32 saxpy_a", 1},
		{"parameter order", "saxpy.ptx", "\t.param .u64 saxpy_out,\n\t.param .u64 saxpy_in,", "\t.param .u64 saxpy_in,\n\t.param .u64 saxpy_out,", 1},
		{"parameter width", "pi_hits.ptx", ".param .u64 pi_seed", ".param .u32 pi_seed", 1},
		{"bounds check", "saxpy.ptx", "setp.ge.u32", "setp.gt.u32", 1},
	} {
		t.Run(m.name, func(t *testing.T) {
			src := files[m.file]
			require.Contains(t, src, m.old)
			bad := replaceNth(src, m.old, m.new, m.nth)
			require.NotEqual(t, src, bad)
			err := checkEntry(cpu, strings.TrimSuffix(m.file, ".ptx"), bad)
			require.Error(t, err, "the planted bug went unseen")
			t.Log(err)
		})
	}
}

func replaceNth(s, old, new string, nth int) string {
	if nth == 0 {
		return strings.ReplaceAll(s, old, new)
	}
	idx := 0
	for i := 1; ; i++ {
		j := strings.Index(s[idx:], old)
		if j < 0 {
			return s
		}
		if i == nth {
			return s[:idx+j] + new + s[idx+j+len(old):]
		}
		idx += j + len(old)
	}
}

// TestPTXPhiloxKnownAnswers runs the Philox4x32-10 rounds of pi_hits.ptx, the very lines, in a
// harness kernel that loads a whole counter and stores the block, against Random123's known
// answers (the three philox4x32 10 lines of its kat_vectors).
func TestPTXPhiloxKnownAnswers(t *testing.T) {
	src := embeddedPTX(t)["pi_hits.ptx"]
	rounds := regexp.MustCompile(`(?s)\nROUND:\n.*?@%p2 bra\.uni \tROUND;\n`).FindString(src)
	require.NotEmpty(t, rounds)
	harness := `.version 6.0
.target sm_52
.address_size 64

.visible .entry philox(
	.param .u64 ph_out,
	.param .u64 ph_in,
	.param .u32 ph_n,
	.param .u64 ph_key
)
{
	.reg .pred 	%p<6>;
	.reg .b32 	%r<40>;
	.reg .b64 	%rd<24>;

	ld.param.u64 	%rd1, [ph_out];
	ld.param.u64 	%rd2, [ph_in];
	ld.param.u64 	%rd12, [ph_key];
	mov.u32 	%r4, %tid.x;
	mul.wide.u32 	%rd3, %r4, 16;
	add.u64 	%rd4, %rd2, %rd3;
	ld.global.u32 	%r10, [%rd4];
	ld.global.u32 	%r11, [%rd4+4];
	ld.global.u32 	%r12, [%rd4+8];
	ld.global.u32 	%r13, [%rd4+12];
	mov.b64 	{%r14, %r15}, %rd12;
	mov.u32 	%r16, 0;` + rounds + `	add.u64 	%rd5, %rd1, %rd3;
	st.global.u32 	[%rd5], %r10;
	st.global.u32 	[%rd5+4], %r11;
	st.global.u32 	[%rd5+8], %r12;
	st.global.u32 	[%rd5+12], %r13;
	ret;
}
`
	kp, err := parsePTX(harness)
	require.NoError(t, err)
	for _, tc := range philoxKATs {
		in := make([]byte, 16)
		for i, c := range tc.ctr {
			putU32(in[4*i:], c)
		}
		out := make([]byte, 16)
		args := []param{{"u64", 2 * globalBase}, {"u64", globalBase}, {"u32", 1}, {"u64", uint64(tc.key[1])<<32 | uint64(tc.key[0])}}
		require.NoError(t, kp.run(1, 1, args, []ptxAlloc{{globalBase, in}, {2 * globalBase, out}}, forwards))
		var got [4]uint32
		for i := range got {
			got[i] = getU32(out[4*i:])
		}
		require.Equal(t, tc.want, got, "counter %x key %x", tc.ctr, tc.key)
	}
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
func getU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// TestPTXParams checks each entry's declared parameters, types and order, against what the Go
// side passes for the kernels that use it (launch.each), not only their number.
func TestPTXParams(t *testing.T) {
	files := embeddedPTX(t)
	for _, l := range []launch{SAXPY(1).launch(), Map(Abs).launch(), Sum().launch(), Mandelbrot(1).launch(), PiHits(1).launch()} {
		kp, err := parsePTX(files[l.entry+".ptx"])
		require.NoError(t, err)
		var got, want []string
		l.each(0, 0, 0, func(_ int, p param) { got = append(got, p.typ) })
		for _, p := range kp.params {
			want = append(want, p.typ)
		}
		require.Equal(t, want, got, "%s: the PTX's parameter types, in order, against the launch's", l.entry)
		// And each parameter is loaded at its declared type.
		for _, p := range kp.params {
			require.Regexp(t, regexp.MustCompile(`ld\.param\.`+p.typ+` \t%\w+, \[`+p.name+`\];`), files[l.entry+".ptx"])
		}
	}
}

// TestPTXInterpreterFaults checks the interpreter's own strictness: an access out of bounds,
// a misaligned one, and a barrier not every thread reaches fail the launch.
func TestPTXInterpreterFaults(t *testing.T) {
	kp, err := parsePTX(embeddedPTX(t)["saxpy.ptx"])
	require.NoError(t, err)
	in, out := make([]byte, 8*10), make([]byte, 4*10)
	args := []param{{"u64", 2 * globalBase}, {"u64", globalBase}, {"u32", 11}, {"f32", 0}}
	err = kp.run(1, 32, args, []ptxAlloc{{globalBase, in}, {2 * globalBase, out}}, forwards)
	require.ErrorContains(t, err, "outside every allocation")
	args = []param{{"u64", 2*globalBase + 2}, {"u64", globalBase}, {"u32", 10}, {"f32", 0}}
	err = kp.run(1, 32, args, []ptxAlloc{{globalBase, in}, {2 * globalBase, out}}, forwards)
	require.ErrorContains(t, err, "misaligned")

	src := embeddedPTX(t)["sum_f32.ptx"]
	// Threads other than 0 leave before the tree: the others wait at a barrier for ever on a GPU.
	bad := strings.Replace(src, "\tbar.sync \t0;\n\tshr.u32", "\tsetp.ne.u32 \t%p2, %r4, 0;\n\t@%p2 bra \tDONE;\n\tbar.sync \t0;\n\tshr.u32", 1)
	require.NotEqual(t, src, bad)
	kp, err = parsePTX(bad)
	require.NoError(t, err)
	err = kp.run(1, blockSize, []param{{"u64", 2 * globalBase}, {"u64", globalBase}, {"u32", 0}}, []ptxAlloc{{globalBase, nil}, {2 * globalBase, make([]byte, 8)}}, forwards)
	require.ErrorContains(t, err, "bar.sync")
}

// TestNaNPayloads pins down what doc.go says of NaNs: the bit operations (Abs, Neg) keep a NaN's
// payload on both backends and ReLU gives +0; arithmetic on the GPU (the interpreter's model of
// it) returns the canonical NaN 0x7fffffff, while the CPU backend returns a NaN operand quieted
// with its payload (on amd64, what SSE does; elsewhere only a NaN is promised).
func TestNaNPayloads(t *testing.T) {
	cpu := openCPU(t, 1)
	ctx := context.Background()
	const payload = 0x7fa00001 // a signalling NaN with a payload
	in := []float32{math.Float32frombits(payload), math.Float32frombits(payload | 1<<31)}
	kp, err := parsePTX(embeddedPTX(t)["map_f32.ptx"])
	require.NoError(t, err)
	for op := Square; op < numMapOps; op++ {
		c, err := Run(ctx, cpu, Map(op), in)
		require.NoError(t, err)
		g, err := runPTX(kp, Map(op), in, 1, forwards)
		require.NoError(t, err)
		for i, x := range in {
			cb, gb := math.Float32bits(c[i]), math.Float32bits(g[i])
			switch op {
			case Abs:
				require.Equal(t, math.Float32bits(x)&^(1<<31), cb)
				require.Equal(t, cb, gb)
			case Neg:
				require.Equal(t, math.Float32bits(x)^(1<<31), cb)
				require.Equal(t, cb, gb)
			case ReLU:
				require.Equal(t, uint32(0), cb)
				require.Equal(t, uint32(0), gb)
			default:
				require.Equal(t, uint32(0x7fffffff), gb, "%v: the GPU's canonical NaN", op)
				require.True(t, c[i] != c[i], "%v: a NaN on the CPU", op)
				if runtime.GOARCH == "amd64" {
					require.Equal(t, math.Float32bits(x)|1<<22, cb, "%v: the CPU keeps the payload, quieted", op)
				}
			}
		}
	}
}
