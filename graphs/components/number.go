package components

// Integer is the constraint of Successor: the integer types.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

// Number is the constraint of Plus and Pairs: the types + adds.
type Number interface {
	Integer | ~float32 | ~float64 | ~complex64 | ~complex128
}
