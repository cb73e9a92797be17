package gpu

import "fmt"

// Backend says where kernels run.
type Backend int

const (
	// BackendAuto asks Open for CUDA when it is built in and a GPU answers, else the CPU.
	BackendAuto Backend = iota
	// BackendCPU runs each kernel's Go implementation in parallel over the cores.
	BackendCPU
	// BackendCUDA runs each kernel's PTX on an NVIDIA GPU; it needs the build tag cuda.
	BackendCUDA
)

// String returns "auto", "cpu" or "cuda".
func (b Backend) String() string {
	switch b {
	case BackendAuto:
		return "auto"
	case BackendCPU:
		return "cpu"
	case BackendCUDA:
		return "cuda"
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// ParseBackend parses "auto", "cpu" or "cuda", as a command's -backend flag takes them.
func ParseBackend(s string) (Backend, error) {
	switch s {
	case "auto":
		return BackendAuto, nil
	case "cpu":
		return BackendCPU, nil
	case "cuda":
		return BackendCUDA, nil
	}
	return 0, fmt.Errorf("gpu: unknown backend %q (want auto, cpu or cuda)", s)
}

// CUDABuiltIn reports whether this binary was built with the cuda tag.
func CUDABuiltIn() bool { return cudaBuiltIn }
