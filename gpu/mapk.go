package gpu

import (
	"fmt"
	"math"
)

// MapOp is the element-wise operation of Map.
type MapOp uint32

// The operations of Map. Each is correctly rounded on both backends, so they agree bit for bit
// (but for the payload of a NaN).
const (
	Square MapOp = iota // x·x
	Sqrt                // √x (NaN for x < 0)
	Abs                 // |x|
	Neg                 // −x
	ReLU                // x if x > 0, else 0 (NaN gives 0)
	numMapOps
)

// String returns the op's name, e.g. "sqrt".
func (op MapOp) String() string {
	switch op {
	case Square:
		return "square"
	case Sqrt:
		return "sqrt"
	case Abs:
		return "abs"
	case Neg:
		return "neg"
	case ReLU:
		return "relu"
	}
	return fmt.Sprintf("MapOp(%d)", uint32(op))
}

// Map returns the element-wise kernel out[i] = op(in[i]) on float32. It panics on an unknown op.
// PTX entry "map_f32".
func Map(op MapOp) Kernel[float32, float32] {
	if op >= numMapOps {
		panic(fmt.Sprintf("gpu.Map: unknown op %v", op))
	}
	return Kernel[float32, float32]{
		name:   "map-" + op.String(),
		entry:  "map_f32",
		params: []param{{"u32", uint64(op)}},
		grain:  1 << 14,
		elem:   func(out, in []float32) { mapf(op, out, in) },
	}
}

func mapf(op MapOp, out, in []float32) {
	out = out[:len(in)]
	// One loop per op keeps the switch out of the loop.
	switch op {
	case Square:
		for i, x := range in {
			out[i] = x * x
		}
	case Sqrt:
		// A float32 square root through float64 is correctly rounded: 53 ≥ 2·24+2 bits.
		for i, x := range in {
			out[i] = float32(math.Sqrt(float64(x)))
		}
	case Abs:
		for i, x := range in {
			out[i] = math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
		}
	case Neg:
		for i, x := range in {
			out[i] = math.Float32frombits(math.Float32bits(x) ^ (1 << 31))
		}
	case ReLU:
		for i, x := range in {
			if x > 0 {
				out[i] = x
			} else {
				out[i] = 0
			}
		}
	}
}
