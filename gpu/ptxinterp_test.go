package gpu

// A test-only interpreter for the subset of PTX that the embedded kernels use, so that CI runs
// every kernel without a GPU: IEEE round-to-nearest f32 and f64 (f32 NaN results canonical, as
// on NVIDIA GPUs), integers masked to their widths, predicates and branches, shared memory with
// bar.sync, bounds- and alignment-checked global memory, and parameters laid out and read as the
// driver does. It is strict where a GPU would be silent: a register used at another width than
// declared, a load or store out of bounds or misaligned, a parameter loaded at another type
// than declared, a thread reading shared memory that another thread wrote since the last
// barrier (or writing what another read), and a barrier that not every thread reaches all fail
// the launch.

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// ptxKernel is one parsed .entry.
type ptxKernel struct {
	name      string
	params    []ptxParam
	paramSize int
	regs      []regInfo // by index
	regIndex  map[string]int
	shared    map[string]int // symbol -> offset in shared memory
	sharedLen int
	code      []*ptxInst
	labels    map[string]int
}

type ptxParam struct {
	name      string
	typ       string
	off, size int
}

type regInfo struct {
	name string
	bits int // 1 for a predicate
}

type ptxInst struct {
	line string
	pred int // register index, or -1
	neg  bool
	exec func(t *ptxThread) (next int, ev threadEvent)
}

type threadEvent int

const (
	evNext threadEvent = iota
	evBarrier
	evExit
)

// Address spaces: global allocations and the shared window live at distinct bases, so that a
// pointer into one used in the other is caught.
const (
	sharedBase = 1 << 40
	globalBase = 1 << 32
)

var typeBits = map[string]int{"u8": 8, "u16": 16, "u32": 32, "u64": 64, "s32": 32, "s64": 64, "b32": 32, "b64": 64, "f32": 32, "f64": 64, "pred": 1}

// parsePTX parses the module src, which must hold one entry.
func parsePTX(src string) (*ptxKernel, error) {
	k := &ptxKernel{regIndex: map[string]int{}, shared: map[string]int{}, labels: map[string]int{}}
	lines := strings.Split(src, "\n")
	i := 0
	// Header and the entry's signature.
	for ; i < len(lines); i++ {
		l := stripComment(lines[i])
		if l == "" || strings.HasPrefix(l, ".version") || strings.HasPrefix(l, ".target") || strings.HasPrefix(l, ".address_size") {
			continue
		}
		m := regexp.MustCompile(`^\.visible \.entry (\w+)\($`).FindStringSubmatch(l)
		if m == nil {
			return nil, fmt.Errorf("line %d: want .visible .entry, got %q", i+1, l)
		}
		k.name = m[1]
		i++
		break
	}
	paramRE := regexp.MustCompile(`^\.param \.(\w+) (\w+),?$`)
	for ; i < len(lines); i++ {
		l := stripComment(lines[i])
		if l == ")" {
			i++
			break
		}
		m := paramRE.FindStringSubmatch(l)
		if m == nil {
			return nil, fmt.Errorf("line %d: bad parameter %q", i+1, l)
		}
		size := typeBits[m[1]] / 8
		if size == 0 {
			return nil, fmt.Errorf("line %d: parameter type %q", i+1, m[1])
		}
		// The driver lays parameters out each at its natural alignment.
		off := (k.paramSize + size - 1) / size * size
		k.params = append(k.params, ptxParam{name: m[2], typ: m[1], off: off, size: size})
		k.paramSize = off + size
	}
	if stripComment(lines[i]) != "{" {
		return nil, fmt.Errorf("line %d: want {", i+1)
	}
	i++
	regRE := regexp.MustCompile(`^\.reg \.(\w+)\s+%(\w+)<(\d+)>;$`)
	sharedRE := regexp.MustCompile(`^\.shared \.align (\d+) \.(\w+) (\w+)\[(\d+)\];$`)
	labelRE := regexp.MustCompile(`^(\w+):$`)
	type pending struct {
		line string
		no   int
	}
	var body []pending
	for ; i < len(lines); i++ {
		l := stripComment(lines[i])
		switch {
		case l == "":
		case l == "}":
			i = len(lines)
		case regRE.MatchString(l):
			m := regRE.FindStringSubmatch(l)
			n, _ := strconv.Atoi(m[3])
			bits := typeBits[m[1]]
			if bits == 0 {
				return nil, fmt.Errorf("line %d: register type %q", i+1, m[1])
			}
			for j := range n {
				name := fmt.Sprintf("%%%s%d", m[2], j)
				k.regIndex[name] = len(k.regs)
				k.regs = append(k.regs, regInfo{name, bits})
			}
		case sharedRE.MatchString(l):
			m := sharedRE.FindStringSubmatch(l)
			align, _ := strconv.Atoi(m[1])
			n, _ := strconv.Atoi(m[4])
			off := (k.sharedLen + align - 1) / align * align
			k.shared[m[3]] = off
			k.sharedLen = off + n*typeBits[m[2]]/8
		case labelRE.MatchString(l):
			k.labels[labelRE.FindStringSubmatch(l)[1]] = len(body)
		default:
			body = append(body, pending{l, i + 1})
		}
	}
	for _, p := range body {
		in, err := k.compile(p.line)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", p.no, p.line, err)
		}
		k.code = append(k.code, in)
	}
	return k, nil
}

func stripComment(l string) string {
	if i := strings.Index(l, "//"); i >= 0 {
		l = l[:i]
	}
	return strings.TrimSpace(l)
}

// operand reading and writing, checked against the registers' declared widths.

type ptxThread struct {
	k           *ptxKernel
	regs        []uint64
	tid, ctaid  uint32
	ntid, nctid uint32
	launch      *ptxLaunch
	block       *ptxBlock
}

func (k *ptxKernel) reg(name string, bits int) (int, error) {
	r, ok := k.regIndex[name]
	if !ok {
		return 0, fmt.Errorf("undeclared register %s", name)
	}
	if k.regs[r].bits != bits {
		return 0, fmt.Errorf("register %s is %d bits, used as %d", name, k.regs[r].bits, bits)
	}
	return r, nil
}

func mask(bits int) uint64 {
	if bits >= 64 {
		return ^uint64(0)
	}
	return 1<<bits - 1
}

// source returns a reader of operand s at width bits: a register, an immediate (integer, 0f
// float32 bits, 0d float64 bits), a special register, or a shared symbol's address.
func (k *ptxKernel) source(s string, bits int) (func(t *ptxThread) uint64, error) {
	switch s {
	case "%tid.x":
		return func(t *ptxThread) uint64 { return uint64(t.tid) }, nil
	case "%ntid.x":
		return func(t *ptxThread) uint64 { return uint64(t.ntid) }, nil
	case "%ctaid.x":
		return func(t *ptxThread) uint64 { return uint64(t.ctaid) }, nil
	case "%nctaid.x":
		return func(t *ptxThread) uint64 { return uint64(t.nctid) }, nil
	}
	if strings.HasPrefix(s, "%") {
		r, err := k.reg(s, bits)
		if err != nil {
			return nil, err
		}
		return func(t *ptxThread) uint64 { return t.regs[r] }, nil
	}
	if off, ok := k.shared[s]; ok {
		if bits != 64 {
			return nil, fmt.Errorf("address of %s at %d bits", s, bits)
		}
		return func(*ptxThread) uint64 { return sharedBase + uint64(off) }, nil
	}
	var v uint64
	switch {
	case strings.HasPrefix(s, "0f") && len(s) == 10:
		u, err := strconv.ParseUint(s[2:], 16, 32)
		if err != nil || bits != 32 {
			return nil, fmt.Errorf("bad f32 immediate %s at %d bits", s, bits)
		}
		v = u
	case strings.HasPrefix(s, "0d") && len(s) == 18:
		u, err := strconv.ParseUint(s[2:], 16, 64)
		if err != nil || bits != 64 {
			return nil, fmt.Errorf("bad f64 immediate %s at %d bits", s, bits)
		}
		v = u
	default:
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			u, uerr := strconv.ParseUint(s, 0, 64)
			if uerr != nil {
				return nil, fmt.Errorf("bad operand %s", s)
			}
			n = int64(u)
		}
		v = uint64(n) & mask(bits)
	}
	return func(*ptxThread) uint64 { return v }, nil
}

func (k *ptxKernel) dest(s string, bits int) (func(t *ptxThread, v uint64), error) {
	r, err := k.reg(s, bits)
	if err != nil {
		return nil, err
	}
	m := mask(bits)
	return func(t *ptxThread, v uint64) { t.regs[r] = v & m }, nil
}

// address parses [reg], [reg+off] or [sym] (+off).
func (k *ptxKernel) address(s string) (func(t *ptxThread) uint64, error) {
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("bad address %s", s)
	}
	s = s[1 : len(s)-1]
	var off int64
	if i := strings.IndexAny(s, "+"); i >= 0 {
		var err error
		if off, err = strconv.ParseInt(s[i+1:], 0, 64); err != nil {
			return nil, fmt.Errorf("bad offset in %s", s)
		}
		s = s[:i]
	}
	base, err := k.source(s, 64)
	if err != nil {
		return nil, err
	}
	return func(t *ptxThread) uint64 { return base(t) + uint64(off) }, nil
}

func f32(v uint64) float32 { return math.Float32frombits(uint32(v)) }
func f64(v uint64) float64 { return math.Float64frombits(v) }

// fromF32 stores an f32 result; NVIDIA GPUs return the canonical NaN for any NaN result of f32
// arithmetic, whatever the operands' payloads.
func fromF32(x float32) uint64 {
	if x != x {
		return 0x7fffffff
	}
	return uint64(math.Float32bits(x))
}

func fromF64(x float64) uint64 {
	if x != x {
		return 0x7fffffffffffffff
	}
	return math.Float64bits(x)
}

var splitRE = regexp.MustCompile(`\s*,\s*`)

// compile turns one instruction into a closure.
func (k *ptxKernel) compile(line string) (*ptxInst, error) {
	in := &ptxInst{line: line, pred: -1}
	l := strings.TrimSuffix(line, ";")
	if strings.HasPrefix(l, "@") {
		f := strings.Fields(l)
		p := f[0][1:]
		if strings.HasPrefix(p, "!") {
			in.neg, p = true, p[1:]
		}
		r, err := k.reg(p, 1)
		if err != nil {
			return nil, err
		}
		in.pred = r
		l = strings.TrimSpace(strings.TrimPrefix(l, f[0]))
	}
	opcode, rest, _ := strings.Cut(l, " ")
	rest = strings.TrimSpace(rest)
	var args []string
	if rest != "" {
		// A vector operand {a, b} is one argument.
		if strings.HasPrefix(rest, "{") {
			j := strings.Index(rest, "}")
			args = append([]string{rest[:j+1]}, splitRE.Split(strings.TrimPrefix(strings.TrimSpace(rest[j+1:]), ","), -1)...)
			for i := range args {
				args[i] = strings.TrimSpace(args[i])
			}
		} else {
			args = splitRE.Split(rest, -1)
		}
	}
	parts := strings.Split(opcode, ".")
	typ := parts[len(parts)-1]
	bits := typeBits[typ]
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d operands, has %d", opcode, n, len(args))
		}
		return nil
	}
	switch {
	case opcode == "ret":
		in.exec = func(*ptxThread) (int, threadEvent) { return 0, evExit }
		return in, nil
	case opcode == "bar.sync":
		if err := want(1); err != nil || args[0] != "0" {
			return nil, fmt.Errorf("only bar.sync 0")
		}
		in.exec = func(*ptxThread) (int, threadEvent) { return -1, evBarrier }
		return in, nil
	case opcode == "bra" || opcode == "bra.uni":
		if err := want(1); err != nil {
			return nil, err
		}
		target, ok := k.labels[args[0]]
		if !ok {
			return nil, fmt.Errorf("no label %s", args[0])
		}
		in.exec = func(*ptxThread) (int, threadEvent) { return target, evNext }
		return in, nil
	case parts[0] == "ld" && parts[1] == "param":
		if err := want(2); err != nil {
			return nil, err
		}
		d, err := k.dest(args[0], bits)
		if err != nil {
			return nil, err
		}
		name, offs, _ := strings.Cut(strings.Trim(args[1], "[]"), "+")
		var p *ptxParam
		for i := range k.params {
			if k.params[i].name == name {
				p = &k.params[i]
			}
		}
		if p == nil {
			return nil, fmt.Errorf("no parameter %s", name)
		}
		extra := 0
		if offs != "" {
			if extra, err = strconv.Atoi(offs); err != nil {
				return nil, err
			}
		}
		off, size := p.off+extra, bits/8
		if extra != 0 || typ != p.typ && !(typeBits[p.typ] == bits && typ[0] != 'f' && p.typ[0] != 'f') {
			return nil, fmt.Errorf("parameter %s is .%s, loaded as .%s at +%d", name, p.typ, typ, extra)
		}
		in.exec = func(t *ptxThread) (int, threadEvent) {
			var b [8]byte
			copy(b[:], t.launch.params[off:off+size])
			d(t, binary.LittleEndian.Uint64(b[:]))
			return -1, evNext
		}
		return in, nil
	case (parts[0] == "ld" || parts[0] == "st") && (parts[1] == "global" || parts[1] == "shared"):
		if err := want(2); err != nil {
			return nil, err
		}
		space := parts[1]
		size := bits / 8
		if parts[0] == "ld" {
			d, err := k.dest(args[0], bits)
			if err != nil {
				return nil, err
			}
			addr, err := k.address(args[1])
			if err != nil {
				return nil, err
			}
			in.exec = func(t *ptxThread) (int, threadEvent) {
				mem := t.memory(space, addr(t), size, false)
				var b [8]byte
				copy(b[:], mem)
				d(t, binary.LittleEndian.Uint64(b[:]))
				return -1, evNext
			}
			return in, nil
		}
		addr, err := k.address(args[0])
		if err != nil {
			return nil, err
		}
		src, err := k.source(args[1], bits)
		if err != nil {
			return nil, err
		}
		in.exec = func(t *ptxThread) (int, threadEvent) {
			mem := t.memory(space, addr(t), size, true)
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], src(t))
			copy(mem, b[:size])
			return -1, evNext
		}
		return in, nil
	case opcode == "mov.b64" && strings.HasPrefix(args[0], "{"):
		// Unpack a 64-bit value into two 32-bit registers, low word first.
		regs := splitRE.Split(strings.Trim(args[0], "{}"), -1)
		if len(regs) != 2 {
			return nil, fmt.Errorf("bad vector %s", args[0])
		}
		lo, err1 := k.dest(regs[0], 32)
		hi, err2 := k.dest(regs[1], 32)
		src, err3 := k.source(args[1], 64)
		if err := firstErr(err1, err2, err3); err != nil {
			return nil, err
		}
		in.exec = func(t *ptxThread) (int, threadEvent) {
			v := src(t)
			lo(t, v)
			hi(t, v>>32)
			return -1, evNext
		}
		return in, nil
	case opcode == "setp" || parts[0] == "setp":
		if err := want(3); err != nil {
			return nil, err
		}
		p, err1 := k.dest(args[0], 1)
		a, err2 := k.source(args[1], bits)
		b, err3 := k.source(args[2], bits)
		if err := firstErr(err1, err2, err3); err != nil {
			return nil, err
		}
		cmp, err := comparison(parts[1], typ)
		if err != nil {
			return nil, err
		}
		in.exec = func(t *ptxThread) (int, threadEvent) {
			if cmp(a(t), b(t)) {
				p(t, 1)
			} else {
				p(t, 0)
			}
			return -1, evNext
		}
		return in, nil
	case parts[0] == "selp":
		if err := want(4); err != nil {
			return nil, err
		}
		d, err1 := k.dest(args[0], bits)
		a, err2 := k.source(args[1], bits)
		b, err3 := k.source(args[2], bits)
		p, err4 := k.source(args[3], 1)
		if err := firstErr(err1, err2, err3, err4); err != nil {
			return nil, err
		}
		in.exec = func(t *ptxThread) (int, threadEvent) {
			if p(t) != 0 {
				d(t, a(t))
			} else {
				d(t, b(t))
			}
			return -1, evNext
		}
		return in, nil
	case opcode == "cvt.f64.f32":
		if err := want(2); err != nil {
			return nil, err
		}
		d, err1 := k.dest(args[0], 64)
		a, err2 := k.source(args[1], 32)
		if err := firstErr(err1, err2); err != nil {
			return nil, err
		}
		in.exec = func(t *ptxThread) (int, threadEvent) {
			d(t, fromF64(float64(f32(a(t)))))
			return -1, evNext
		}
		return in, nil
	}
	if parts[0] == "cvta" {
		if opcode != "cvta.to.global.u64" {
			return nil, fmt.Errorf("unknown instruction %s", opcode)
		}
		// Kernel pointers are global addresses already: the conversion is the identity.
		opcode, parts, typ, bits = "mov.u64", []string{"mov", "u64"}, "u64", 64
	}
	// Arithmetic: op[.mode].type d, a[, b[, c]].
	op := parts[0]
	mode := ""
	if len(parts) == 3 {
		mode = parts[1]
	}
	if len(parts) > 3 || bits == 0 {
		return nil, fmt.Errorf("unknown instruction %s", opcode)
	}
	if typ[0] == 'f' && op != "mov" && mode != "rn" {
		return nil, fmt.Errorf("%s: float arithmetic must say .rn (no fused or approximate forms)", opcode)
	}
	dbits := bits
	if op == "mul" && mode == "wide" {
		dbits = 2 * bits
	}
	d, err := k.dest(args[0], dbits)
	if err != nil {
		return nil, err
	}
	srcs := make([]func(*ptxThread) uint64, len(args)-1)
	for i, a := range args[1:] {
		sb := bits
		if op == "shr" || op == "shl" {
			if i == 1 {
				sb = 32
			}
		}
		if srcs[i], err = k.source(a, sb); err != nil {
			return nil, err
		}
	}
	arity := map[string]int{"mov": 1, "sqrt": 1, "add": 2, "sub": 2, "mul": 2, "xor": 2, "and": 2, "or": 2, "shr": 2, "shl": 2, "mad": 3}[op]
	if arity == 0 || len(srcs) != arity {
		return nil, fmt.Errorf("unknown instruction %s with %d operands", opcode, len(srcs))
	}
	m := mask(bits)
	var f func(a, b, c uint64) uint64
	switch {
	case op == "mov":
		f = func(a, _, _ uint64) uint64 { return a }
	case typ == "f32":
		switch op {
		case "add":
			f = func(a, b, _ uint64) uint64 { return fromF32(f32(a) + f32(b)) }
		case "sub":
			f = func(a, b, _ uint64) uint64 { return fromF32(f32(a) - f32(b)) }
		case "mul":
			f = func(a, b, _ uint64) uint64 { return fromF32(f32(a) * f32(b)) }
		case "sqrt":
			f = func(a, _, _ uint64) uint64 { return fromF32(float32(math.Sqrt(float64(f32(a))))) }
		}
	case typ == "f64":
		switch op {
		case "add":
			f = func(a, b, _ uint64) uint64 { return fromF64(f64(a) + f64(b)) }
		case "sub":
			f = func(a, b, _ uint64) uint64 { return fromF64(f64(a) - f64(b)) }
		case "mul":
			f = func(a, b, _ uint64) uint64 { return fromF64(f64(a) * f64(b)) }
		}
	case typ[0] == 'u' || typ[0] == 'b' || typ[0] == 's':
		switch {
		case op == "add" && mode == "":
			f = func(a, b, _ uint64) uint64 { return (a + b) & m }
		case op == "sub" && mode == "":
			f = func(a, b, _ uint64) uint64 { return (a - b) & m }
		case op == "mul" && mode == "lo":
			f = func(a, b, _ uint64) uint64 { return (a * b) & m }
		case op == "mul" && mode == "hi" && typ == "u32":
			f = func(a, b, _ uint64) uint64 { return (a * b) >> 32 }
		case op == "mul" && mode == "wide" && typ == "u32":
			f = func(a, b, _ uint64) uint64 { return a * b }
		case op == "mad" && mode == "lo":
			f = func(a, b, c uint64) uint64 { return (a*b + c) & m }
		case op == "xor" && typ[0] == 'b':
			f = func(a, b, _ uint64) uint64 { return a ^ b }
		case op == "and" && typ[0] == 'b':
			f = func(a, b, _ uint64) uint64 { return a & b }
		case op == "or" && typ[0] == 'b':
			f = func(a, b, _ uint64) uint64 { return a | b }
		case op == "shr" && typ[0] == 'u':
			f = func(a, b, _ uint64) uint64 {
				if b >= uint64(bits) {
					return 0
				}
				return a >> b
			}
		case op == "shl" && typ[0] == 'b':
			f = func(a, b, _ uint64) uint64 {
				if b >= uint64(bits) {
					return 0
				}
				return (a << b) & m
			}
		}
	}
	if f == nil {
		return nil, fmt.Errorf("unknown instruction %s", opcode)
	}
	switch len(srcs) {
	case 1:
		a := srcs[0]
		in.exec = func(t *ptxThread) (int, threadEvent) { d(t, f(a(t), 0, 0)); return -1, evNext }
	case 2:
		a, b := srcs[0], srcs[1]
		in.exec = func(t *ptxThread) (int, threadEvent) { d(t, f(a(t), b(t), 0)); return -1, evNext }
	case 3:
		a, b, c := srcs[0], srcs[1], srcs[2]
		in.exec = func(t *ptxThread) (int, threadEvent) { d(t, f(a(t), b(t), c(t))); return -1, evNext }
	}
	return in, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func comparison(cmp, typ string) (func(a, b uint64) bool, error) {
	switch typ[0] {
	case 'u', 'b':
		switch cmp {
		case "eq":
			return func(a, b uint64) bool { return a == b }, nil
		case "ne":
			return func(a, b uint64) bool { return a != b }, nil
		case "lt":
			return func(a, b uint64) bool { return a < b }, nil
		case "le":
			return func(a, b uint64) bool { return a <= b }, nil
		case "gt":
			return func(a, b uint64) bool { return a > b }, nil
		case "ge":
			return func(a, b uint64) bool { return a >= b }, nil
		}
	case 'f':
		conv := func(v uint64) float64 { return f64(v) }
		if typ == "f32" {
			conv = func(v uint64) float64 { return float64(f32(v)) }
		}
		// The ordered comparisons: false when either operand is NaN (ne too).
		switch cmp {
		case "eq":
			return func(a, b uint64) bool { return conv(a) == conv(b) }, nil
		case "ne":
			return func(a, b uint64) bool { x, y := conv(a), conv(b); return x == x && y == y && x != y }, nil
		case "lt":
			return func(a, b uint64) bool { return conv(a) < conv(b) }, nil
		case "le":
			return func(a, b uint64) bool { return conv(a) <= conv(b) }, nil
		case "gt":
			return func(a, b uint64) bool { return conv(a) > conv(b) }, nil
		case "ge":
			return func(a, b uint64) bool { return conv(a) >= conv(b) }, nil
		}
	}
	return nil, fmt.Errorf("unknown comparison %s.%s", cmp, typ)
}

// ptxLaunch is one kernel launch: its parameter buffer and global memory.
type ptxLaunch struct {
	params []byte
	global []ptxAlloc
	err    error
}

type ptxAlloc struct {
	base uint64
	data []byte
}

// ptxBlock is one thread block's shared memory, and who last wrote and read each byte of it in
// which barrier phase, to catch races between barriers.
type ptxBlock struct {
	shared []byte
	phase  int
	writer []access
	reader []access
}

type access struct {
	phase int
	tid   int // -1: several threads
}

func (t *ptxThread) fail(format string, args ...any) {
	if t.launch.err == nil {
		t.launch.err = fmt.Errorf("block %d thread %d: %s", t.ctaid, t.tid, fmt.Sprintf(format, args...))
	}
}

// memory returns the size bytes at addr in space, checking bounds, alignment and, in shared
// memory, races; on a fault it records the error and returns scratch memory.
func (t *ptxThread) memory(space string, addr uint64, size int, write bool) []byte {
	if addr%uint64(size) != 0 {
		t.fail("misaligned %d-byte %s access at %#x", size, space, addr)
		return make([]byte, size)
	}
	if space == "shared" {
		b := t.block
		off := addr - sharedBase
		if addr < sharedBase || off+uint64(size) > uint64(len(b.shared)) {
			t.fail("shared access at %#x out of bounds (%d bytes)", addr, len(b.shared))
			return make([]byte, size)
		}
		me := int(t.tid)
		for i := off; i < off+uint64(size); i++ {
			w, r := &b.writer[i], &b.reader[i]
			if w.phase == b.phase && w.tid != me {
				t.fail("shared byte %d written by thread %d since the last barrier", i, w.tid)
			}
			if write {
				if r.phase == b.phase && r.tid != me {
					t.fail("shared byte %d written after %s read it since the last barrier", i, who(r.tid))
				}
				*w = access{b.phase, me}
			} else if r.phase != b.phase {
				*r = access{b.phase, me}
			} else if r.tid != me {
				r.tid = -1
			}
		}
		return b.shared[off : off+uint64(size)]
	}
	for _, a := range t.launch.global {
		if addr >= a.base && addr+uint64(size) <= a.base+uint64(len(a.data)) {
			return a.data[addr-a.base : addr-a.base+uint64(size)]
		}
	}
	t.fail("global %d-byte access at %#x outside every allocation", size, addr)
	return make([]byte, size)
}

func who(tid int) string {
	if tid < 0 {
		return "several threads"
	}
	return fmt.Sprintf("thread %d", tid)
}

// ptxOrder is the order in which a block's threads run between barriers.
type ptxOrder int

const (
	forwards ptxOrder = iota
	reversed
)

// maxSteps bounds one launch's instructions: a kernel that loops for ever fails instead of
// hanging the test.
const maxSteps = 1 << 28

// run launches k over gridDim blocks of blockDim threads with the given parameters (the values
// each launch argument's slot holds, with its Go-side type) and global allocations.
func (k *ptxKernel) run(gridDim, blockDim int, args []param, global []ptxAlloc, order ptxOrder) error {
	if len(args) != len(k.params) {
		return fmt.Errorf("%s: %d launch arguments for %d parameters", k.name, len(args), len(k.params))
	}
	l := &ptxLaunch{params: make([]byte, k.paramSize), global: global}
	for i, a := range args {
		p := k.params[i]
		if a.typ != p.typ {
			return fmt.Errorf("%s: parameter %d (%s) is .%s, the launch passes %s", k.name, i, p.name, p.typ, a.typ)
		}
		// The driver copies the parameter's declared size from the argument's slot.
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], a.bits)
		copy(l.params[p.off:p.off+p.size], b[:p.size])
	}
	steps := 0
	for c := range gridDim {
		blk := &ptxBlock{shared: make([]byte, k.sharedLen), writer: make([]access, k.sharedLen), reader: make([]access, k.sharedLen), phase: 1}
		for i := range blk.shared {
			blk.shared[i] = 0xff // uninitialised shared memory reads as NaN
		}
		threads := make([]*ptxThread, blockDim)
		for i := range threads {
			threads[i] = &ptxThread{k: k, regs: make([]uint64, len(k.regs)), tid: uint32(i), ctaid: uint32(c),
				ntid: uint32(blockDim), nctid: uint32(gridDim), launch: l, block: blk}
		}
		pcs := make([]int, blockDim)
		done := make([]bool, blockDim)
		for {
			atBarrier, exited := 0, 0
			for j := range threads {
				i := j
				if order == reversed {
					i = blockDim - 1 - j
				}
				if done[i] {
					exited++
					continue
				}
				t := threads[i]
				for {
					if steps++; steps > maxSteps {
						return fmt.Errorf("%s: more than %d instructions", k.name, maxSteps)
					}
					if pcs[i] >= len(k.code) {
						return fmt.Errorf("%s: thread %d ran off the end", k.name, i)
					}
					in := k.code[pcs[i]]
					if in.pred >= 0 && (t.regs[in.pred] != 0) == in.neg {
						pcs[i]++
						continue
					}
					next, ev := in.exec(t)
					if l.err != nil {
						return fmt.Errorf("%s: %q: %w", k.name, in.line, l.err)
					}
					if next >= 0 {
						pcs[i] = next
					} else {
						pcs[i]++
					}
					if ev == evExit {
						done[i] = true
						exited++
						break
					}
					if ev == evBarrier {
						atBarrier++
						break
					}
				}
			}
			if atBarrier == 0 {
				break
			}
			if exited > 0 {
				return fmt.Errorf("%s: block %d: %d threads wait at bar.sync while %d have exited", k.name, c, atBarrier, exited)
			}
			blk.phase++
		}
	}
	return nil
}
