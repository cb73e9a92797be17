//go:build !purego

#include "textflag.h"

// func saxpy4(a float32, out *float32, in *float32, n int)
//
// out[i] = a*in[2i] + in[2i+1] for i < n, n a multiple of 4: four pairs at a time, split into
// four xs and four ys by SHUFPS, then MULPS and ADDPS, each rounded to nearest like the scalar
// loop and the PTX (SSE has no fused multiply-add), so the results are the same bits.
TEXT ·saxpy4(SB), NOSPLIT, $0-32
	MOVSS  a+0(FP), X0
	SHUFPS $0x00, X0, X0 // X0 = a a a a
	MOVQ   out+8(FP), DI
	MOVQ   in+16(FP), SI
	MOVQ   n+24(FP), CX
	SHRQ   $2, CX
	JZ     done

loop:
	MOVUPS (SI), X1      // x0 y0 x1 y1
	MOVUPS 16(SI), X2    // x2 y2 x3 y3
	MOVAPS X1, X3
	SHUFPS $0x88, X2, X1 // x0 x1 x2 x3
	SHUFPS $0xDD, X2, X3 // y0 y1 y2 y3
	MULPS  X0, X1
	ADDPS  X3, X1
	MOVUPS X1, (DI)
	ADDQ   $32, SI
	ADDQ   $16, DI
	DECQ   CX
	JNZ    loop

done:
	RET
