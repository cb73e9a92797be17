package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gocsp/gocsp/tools/cspviz/internal/viewer"
)

// errDemoNotWired is what the demo command answers until it runs a real
// network from the graphs package.
var errDemoNotWired = errors.New("cspviz demo: not wired yet")

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errDemoNotWired
}

// serveDemo is the seam the demo command will use: it shows the network
// whose handler is network (serving /topology, /snapshot and /events, as
// graphs.Handler does) live in the browser until ctx is done, printing the
// page's URL to stdout.
func serveDemo(ctx context.Context, network http.Handler, stdout io.Writer, opts ...viewer.Option) error {
	opts = append([]viewer.Option{viewer.WithOutput(stdout)}, opts...)
	if err := viewer.ServeNetwork(ctx, network, opts...); err != nil {
		return fmt.Errorf("cspviz demo: %w", err)
	}
	return nil
}
