package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gocsp/gocsp/tools/cspviz/internal/render"
	"github.com/gocsp/gocsp/tools/cspviz/internal/viewer"
)

// serveFlags are the flags every serving command (watch, replay) takes.
type serveFlags struct {
	addr   *string
	open   *bool
	dur    *time.Duration
	layout *string
}

func addServeFlags(fs *flag.FlagSet) serveFlags {
	return serveFlags{
		addr:   fs.String("addr", "127.0.0.1:0", "address to serve the page on (port 0 picks a free one)"),
		open:   fs.Bool("open", false, "open the page in the desktop's browser"),
		dur:    fs.Duration("for", 0, "stop serving after this long (default: until interrupted)"),
		layout: addLayoutFlag(fs),
	}
}

func addLayoutFlag(fs *flag.FlagSet) *string {
	return fs.String("layout", render.LayoutAuto, "layout: auto (Graphviz dot for small networks, the built-in layered layout for large ones), layered, or a Graphviz engine for small networks: "+strings.Join(render.Layouts()[2:], ", "))
}

func checkLayout(layout string) error {
	if !slices.Contains(render.Layouts(), layout) {
		return fmt.Errorf("unknown layout %q (want one of %s)", layout, strings.Join(render.Layouts(), ", "))
	}
	return nil
}

// setup checks the flags and returns the context to serve under and the
// viewer options.
func (f serveFlags) setup(ctx context.Context, stdout io.Writer) (context.Context, context.CancelFunc, []viewer.Option, error) {
	if err := checkLayout(*f.layout); err != nil {
		return nil, nil, nil, err
	}
	if *f.dur < 0 {
		return nil, nil, nil, fmt.Errorf("-for %v is negative", *f.dur)
	}
	cancel := context.CancelFunc(func() {})
	if *f.dur > 0 {
		ctx, cancel = context.WithTimeout(ctx, *f.dur)
	}
	opts := []viewer.Option{viewer.WithAddr(*f.addr), viewer.WithOpenBrowser(*f.open),
		viewer.WithLayout(*f.layout), viewer.WithOutput(stdout)}
	return ctx, cancel, opts, nil
}
