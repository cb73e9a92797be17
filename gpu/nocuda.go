//go:build !cuda

package gpu

import "errors"

// Without the cuda tag the CUDA backend is absent: these stand-ins keep the rest of the package
// free of build tags. Open never makes a cudaDevice here, so the methods are never called.

const cudaBuiltIn = false

type cudaDevice struct{}

type cudaBlock struct{}

type cudaStreams struct{}

func openCUDA(int) (*cudaDevice, string, error) {
	return nil, "", errors.New("CUDA is not built in")
}

func (*cudaDevice) alloc(int) (*block, error)          { panic("gpu: no CUDA backend") }
func (*cudaDevice) free(*block)                        {}
func (*cudaDevice) close() error                       { return nil }
func (*cudaDevice) streams(bool) (*cudaStreams, error) { panic("gpu: no CUDA backend") }
func (*cudaStreams) upload(*block, int) error          { panic("gpu: no CUDA backend") }
func (*cudaStreams) launch(launch, *block, int, *block, int, int) error {
	panic("gpu: no CUDA backend")
}
func (*cudaStreams) download(*block, int) error { panic("gpu: no CUDA backend") }
func (*cudaStreams) close()                     {}

func (d *Device) cudaExec(launch, []byte, int, []byte, func([]byte, int)) error {
	panic("gpu: no CUDA backend")
}
