package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/tools/cspviz/internal/viewer"
)

// defaultDemo is what "cspviz demo" shows without a name: a network with some life in it.
const defaultDemo = "philosophers"

// demoAliases are the short names people type for demos with longer ones.
var demoAliases = map[string]string{"deadlock": "philosophers-deadlock"}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "demo [NAME] [-list] [-addr 127.0.0.1:0] [-open] [-for DURATION] [-layout auto]", stderr)
	sf := addServeFlags(fs)
	list := fs.Bool("list", false, "list the demos and exit")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return errUsage
	}
	demos := networks.Demos()
	if *list {
		for _, d := range demos {
			fmt.Fprintf(stdout, "%-22s %s\n", d.Name, d.Description)
		}
		return nil
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "cspviz demo: want at most one demo name, got %d\n", len(pos))
		fs.Usage()
		return errUsage
	}
	name := defaultDemo
	if len(pos) == 1 {
		name = pos[0]
	}
	if full, ok := demoAliases[name]; ok {
		name = full
	}
	demo, ok := findDemo(demos, name)
	if !ok {
		names := make([]string, len(demos))
		for i, d := range demos {
			names[i] = d.Name
		}
		return fmt.Errorf("cspviz demo: no demo %q (have %s, or deadlock)", name, strings.Join(names, ", "))
	}
	// The network's goroutine and the server both report on out: the
	// viewer's options must print there too, not to stdout behind its lock.
	out := &lockedWriter{w: stdout}
	ctx, cancel, opts, err := sf.setup(ctx, out)
	if err != nil {
		return fmt.Errorf("cspviz demo: %w", err)
	}
	defer cancel()
	fmt.Fprintf(out, "cspviz demo: %s: %s\n", demo.Name, demo.Description)
	return runNetworkDemo(ctx, demo.New(), out, opts...)
}

func findDemo(demos []networks.Demo, name string) (networks.Demo, bool) {
	for _, d := range demos {
		if d.Name == name {
			return d, true
		}
	}
	return networks.Demo{}, false
}

// runNetworkDemo runs n in the background and shows it live until ctx ends. A network that ends
// by itself (the sieve, a deadlock) stays on the page in its final state: what it ended with is
// exactly what a person wants to look at.
func runNetworkDemo(ctx context.Context, n *graphs.Network, out io.Writer, opts ...viewer.Option) error {
	netCtx, stopNet := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		err := n.Run(netCtx)
		var dl *graphs.DeadlockError
		switch {
		case errors.As(err, &dl):
			fmt.Fprintf(out, "cspviz demo: the network deadlocked, as it was built to:\n%v\n", dl)
		case err != nil && netCtx.Err() == nil:
			fmt.Fprintf(out, "cspviz demo: the network failed: %v\n", err)
		case netCtx.Err() == nil:
			fmt.Fprintln(out, "cspviz demo: the network ended; its final state stays on the page")
		}
	}()
	err := serveDemo(ctx, n.Handler(), out, opts...)
	stopNet()
	// A network that does not wind down promptly must not keep cspviz from
	// ending: -for and Ctrl-C end the program within a second.
	select {
	case <-ran:
	case <-time.After(stopGrace / 2):
		fmt.Fprintln(out, "cspviz demo: the network is still stopping; not waiting for it")
	}
	return err
}

// serveDemo shows the network whose handler is network (serving /topology, /snapshot and
// /events, as graphs' Network.Handler does) live in the browser until ctx is done, printing the
// page's URL to stdout.
func serveDemo(ctx context.Context, network http.Handler, stdout io.Writer, opts ...viewer.Option) error {
	opts = append([]viewer.Option{viewer.WithOutput(stdout)}, opts...)
	if err := viewer.ServeNetwork(ctx, network, opts...); err != nil {
		return fmt.Errorf("cspviz demo: %w", err)
	}
	return nil
}

// lockedWriter lets the network's goroutine and the server report on one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
