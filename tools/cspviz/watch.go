package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
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

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("watch", "watch URL [URL...] [-addr 127.0.0.1:0] [-open] [-for DURATION] [-layout auto]", stderr)
	sf := addServeFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return errUsage
	}
	if len(pos) == 0 {
		fmt.Fprintf(fs.Output(), "%s: want a network URL (or several: the nodes of one distributed network)\n", fs.Name())
		fs.Usage()
		return errUsage
	}
	ctx, cancel, opts, err := sf.setup(ctx, stdout)
	if err != nil {
		return fmt.Errorf("cspviz watch: %w", err)
	}
	defer cancel()
	url := pos[0]
	if len(pos) > 1 {
		// Several nodes: a private loopback server shows them as one network, watched like any.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("cspviz watch: %w", err)
		}
		srv := &http.Server{Handler: newMerged(pos), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		url = "http://" + ln.Addr().String()
		fmt.Fprintf(stdout, "cspviz watch: %d nodes on one page: %s\n", len(pos), strings.Join(pos, ", "))
	}
	live, err := viewer.NewLive(ctx, url, opts...)
	if err != nil {
		return fmt.Errorf("cspviz watch: %w", err)
	}
	if err := viewer.Serve(ctx, live, "watching "+strings.Join(pos, " + "), opts...); err != nil {
		return fmt.Errorf("cspviz watch: %w", err)
	}
	return nil
}
