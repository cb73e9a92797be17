package networks

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/gpu"
	"github.com/gocsp/gocsp/graphs"
)

// MandelbrotConfig sizes the Mandelbrot network.
type MandelbrotConfig struct {
	// Device runs the kernel; nil opens the CPU backend (which needs no Close).
	Device  *gpu.Device
	Size    int        // image width and height in pixels (default 512)
	MaxIter uint32     // iterations before a point counts as inside (default 256)
	Center  complex128 // centre of the view (default -0.6)
	Span    float64    // width and height of the view in the complex plane (default 3)
	Batch   int        // rows per launch (default 8)
	// Pipelined splits the kernel process into upload, kernel and download stages (gpu.Pipeline);
	// otherwise one gpu.Proc runs it.
	Pipelined bool
}

// MandelbrotResult is the image the assembler filled in: escape counts, row by row. Read it
// after Run.
type MandelbrotResult struct {
	Size    int
	MaxIter uint32
	Counts  []uint32 // Size×Size, row-major, top row first
	Rows    int      // rows assembled
}

// Mandelbrot builds the Mandelbrot network: "rows" writes each row of the view as a vector of
// points, the GPU process (gpu.Proc "escape", or gpu.Pipeline "escape/…") turns it into escape
// counts, and "assembler" stores the rows in order. It ends by retirement after the last row.
func Mandelbrot(cfg MandelbrotConfig, opts ...graphs.Option) (*graphs.Network, *MandelbrotResult) {
	if cfg.Size <= 0 {
		cfg.Size = 512
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 256
	}
	if cfg.Center == 0 {
		cfg.Center = -0.6
	}
	if cfg.Span <= 0 {
		cfg.Span = 3
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 8
	}
	d := cfg.Device
	if d == nil {
		var err error
		if d, err = gpu.Open(gpu.WithBackend(gpu.BackendCPU)); err != nil {
			panic(err) // the CPU backend always opens
		}
	}
	size := cfg.Size
	res := &MandelbrotResult{Size: size, MaxIter: cfg.MaxIter, Counts: make([]uint32, size*size)}
	points := csp.NewChan[[]complex128](csp.Named("points"))
	counts := csp.NewChan[[]uint32](csp.Named("counts"))

	step := cfg.Span / float64(size)
	x0 := real(cfg.Center) - cfg.Span/2 + step/2
	y0 := imag(cfg.Center) + cfg.Span/2 - step/2
	rowsW := points.Writer()
	rows := csp.Proc("rows", func(context.Context) error {
		for y := range size {
			row := make([]complex128, size)
			for x := range row {
				row[x] = complex(x0+float64(x)*step, y0-float64(y)*step)
			}
			if err := rowsW.Write(row); err != nil {
				return err
			}
		}
		return nil
	}, rowsW).SetKind("Generator")

	k := gpu.Mandelbrot(cfg.MaxIter)
	var escape []*csp.Process
	if cfg.Pipelined {
		escape = gpu.Pipeline("escape", d, k, points.Reader(), counts.Writer(), gpu.Batch(cfg.Batch))
	} else {
		escape = []*csp.Process{gpu.Proc("escape", d, k, points.Reader(), counts.Writer(), gpu.Batch(cfg.Batch))}
	}

	in := counts.Reader()
	assembler := csp.Proc("assembler", func(context.Context) error {
		for {
			row, err := in.Read()
			if errors.Is(err, csp.ErrRetired) {
				if res.Rows != size {
					return fmt.Errorf("assembler: %d rows of %d", res.Rows, size)
				}
				return nil
			}
			if err != nil {
				return err
			}
			if res.Rows == size || len(row) != size {
				return fmt.Errorf("assembler: row %d of %d pixels in a %d×%d image", res.Rows, len(row), size, size)
			}
			copy(res.Counts[res.Rows*size:], row)
			res.Rows++
		}
	}, in).SetKind("Collector")

	return graphs.New("mandelbrot", opts...).Add(rows).Add(escape...).Add(assembler), res
}

// Image renders the counts: points inside the set black, the rest shaded by how fast they escape.
func (r *MandelbrotResult) Image() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, r.Size, r.Size))
	for i, n := range r.Counts {
		c := color.RGBA{A: 255}
		if n < r.MaxIter {
			t := math.Sqrt(float64(n) / float64(r.MaxIter))
			c.R = uint8(255 * math.Min(1, 3*t))
			c.G = uint8(255 * math.Min(1, math.Max(0, 3*t-1)))
			c.B = uint8(255 * (0.5 + 0.5*math.Sin(math.Pi*t)))
		}
		img.SetRGBA(i%r.Size, i/r.Size, c)
	}
	return img
}

// WritePNG writes Image as a PNG.
func (r *MandelbrotResult) WritePNG(w io.Writer) error { return png.Encode(w, r.Image()) }
