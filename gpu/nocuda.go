//go:build !cuda

package gpu

import "errors"

// Without the cuda tag the CUDA backend is absent: openCUDA always fails, so a Device's engine is
// nil (the CPU backend) outside tests.

const cudaBuiltIn = false

type cudaDevice struct{ engine }

func openCUDA(int) (*cudaDevice, string, error) {
	return nil, "", errors.New("CUDA is not built in")
}
