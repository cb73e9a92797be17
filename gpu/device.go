package gpu

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"go.uber.org/zap"
)

// ErrClosed is returned by operations on a Device after Close.
var ErrClosed = errors.New("gpu: device closed")

// Option configures Open.
type Option func(*config)

type config struct {
	backend Backend
	ordinal int
	workers int
	log     *zap.Logger
}

// WithBackend asks for a backend (default BackendAuto). Asking for BackendCUDA where it is not
// built in, or where no GPU answers, makes Open fail instead of falling back.
func WithBackend(b Backend) Option { return func(c *config) { c.backend = b } }

// WithDevice picks the GPU by its CUDA ordinal (default 0).
func WithDevice(ordinal int) Option { return func(c *config) { c.ordinal = ordinal } }

// WithWorkers sets how many goroutines the CPU backend splits a launch over (default GOMAXPROCS).
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithLogger makes Open say, at info level, which backend it chose and why. The default is a
// no-op logger.
func WithLogger(l *zap.Logger) Option { return func(c *config) { c.log = l } }

// Device is an open backend: a GPU context, or the CPU. It is safe for concurrent use by many
// processes. Close it when the networks that use it have ended.
type Device struct {
	backend Backend
	name    string
	reason  string
	workers int
	log     *zap.Logger
	eng     engine // nil on the CPU backend
	pool    pool

	mu     sync.Mutex
	closed bool
	idle   []streams // Run's streams, lent one per call
}

// Open opens a device. See Backend and WithBackend for which one it picks.
func Open(opts ...Option) (*Device, error) {
	cfg := config{backend: BackendAuto, workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = zap.NewNop()
	}
	if cfg.workers < 1 {
		panic(fmt.Sprintf("gpu.Open: WithWorkers(%d): want at least 1", cfg.workers))
	}
	d := &Device{workers: cfg.workers, log: cfg.log}
	switch cfg.backend {
	case BackendCPU:
		d.useCPU("the CPU backend was asked for")
	case BackendCUDA, BackendAuto:
		var why string
		if !cudaBuiltIn {
			why = "CUDA is not built in (build with -tags cuda)"
		} else {
			cu, name, err := openCUDA(cfg.ordinal)
			if err == nil {
				d.backend, d.name, d.eng = BackendCUDA, name, cu
				d.reason = fmt.Sprintf("CUDA is built in and GPU %d answered", cfg.ordinal)
				break
			}
			why = fmt.Sprintf("no GPU answered: %v", err)
		}
		if cfg.backend == BackendCUDA {
			return nil, fmt.Errorf("gpu.Open: CUDA backend asked for, but %s", why)
		}
		d.useCPU(why)
	default:
		panic(fmt.Sprintf("gpu.Open: unknown backend %v", cfg.backend))
	}
	d.pool.init(d)
	d.log.Info("gpu: device opened", zap.Stringer("backend", d.backend), zap.String("device", d.name),
		zap.String("reason", d.reason))
	return d, nil
}

func (d *Device) useCPU(why string) {
	d.backend = BackendCPU
	d.name = fmt.Sprintf("cpu (%d workers)", d.workers)
	d.reason = why
}

// Backend returns the backend in use: BackendCPU or BackendCUDA, never BackendAuto.
func (d *Device) Backend() Backend { return d.backend }

// Reason says why Open chose this backend, e.g. "CUDA is not built in (build with -tags cuda)".
func (d *Device) Reason() string { return d.reason }

// Name returns the device's name: the GPU's, or "cpu (N workers)".
func (d *Device) Name() string { return d.name }

// InUse returns how many pooled buffers are out of the pool: zero once every process using the
// device has ended.
func (d *Device) InUse() int { return d.pool.inUse() }

// Close frees the device's pooled memory and, on CUDA, its context. Buffers still in use are
// freed as they come back. Close is idempotent.
func (d *Device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	idle := d.idle
	d.idle = nil
	d.mu.Unlock()
	for _, st := range idle {
		st.close()
	}
	d.pool.drain()
	if c, ok := d.eng.(interface{ close() error }); ok {
		return c.close()
	}
	return nil
}

func (d *Device) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}
