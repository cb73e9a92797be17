package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
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
	return runNetworkDemo(ctx, demo, roundPause, out, opts...)
}

func findDemo(demos []networks.Demo, name string) (networks.Demo, bool) {
	for _, d := range demos {
		if d.Name == name {
			return d, true
		}
	}
	return networks.Demo{}, false
}

// roundPause is how long a repeating demo shows a finished round's final state
// and result before it starts the next (runNetworkDemo's pause): short, so
// that a page opened at any moment sees a round at work.
const roundPause = time.Second

// runNetworkDemo runs the demo and shows it live until ctx ends. A demo whose
// work is finite (Repeats) runs again with a fresh network after showing each
// round's final state and result for pause; the page reloads itself for
// the new round. Any other network that ends by itself (a deadlock) stays on
// the page in its final state: that is what a person wants to look at.
func runNetworkDemo(ctx context.Context, demo networks.Demo, pause time.Duration, out io.Writer, opts ...viewer.Option) error {
	var (
		mu     sync.Mutex
		info   viewer.RunInfo
		netH   atomic.Pointer[http.Handler]
		pageH  atomic.Pointer[viewer.Live]
		served = make(chan error, 1)
	)
	// Should the page's server fail (a bad -addr), everything stops.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts = append([]viewer.Option{viewer.WithOutput(out)}, opts...)
	opts = append(opts, viewer.WithRunInfo(func() viewer.RunInfo {
		mu.Lock()
		defer mu.Unlock()
		return info
	}))

	// The network's handler is served on a private loopback port and
	// watched like any other network, so the page behaves exactly as with
	// cspviz watch; each round swaps in its network's handler.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("cspviz demo: serving the network: %w", err)
	}
	netSrv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*netH.Load()).ServeHTTP(w, r)
	})}
	go netSrv.Serve(ln)
	defer netSrv.Close()
	base := "http://" + ln.Addr().String()

	for round := 1; ; round++ {
		n, result := demo.New()
		h := n.Handler()
		netH.Store(&h)
		live, err := viewer.NewLive(ctx, base, opts...)
		if err != nil {
			if ctx.Err() != nil && round > 1 {
				return serveResult(served) // stopped while the next round was starting
			}
			return fmt.Errorf("cspviz demo: %w", err)
		}
		pageH.Store(live)
		mu.Lock()
		info.Round, info.Repeats = round, demo.Repeats
		mu.Unlock()
		if round == 1 {
			page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { pageH.Load().ServeHTTP(w, r) })
			go func() {
				served <- viewer.Serve(ctx, page, "watching "+quoteName(n.Name()), opts...)
				cancel()
			}()
		}
		err = runRound(ctx, n, out)
		if ctx.Err() != nil {
			return serveResult(served)
		}
		var dl *graphs.DeadlockError
		switch {
		case errors.As(err, &dl):
			fmt.Fprintf(out, "cspviz demo: the network deadlocked, as it was built to:\n%v\n", dl)
		case err != nil:
			fmt.Fprintf(out, "cspviz demo: the network failed: %v\n", err)
		default:
			r := result()
			mu.Lock()
			info.Result, info.ResultRound = r, round
			mu.Unlock()
			if r != "" {
				fmt.Fprintf(out, "cspviz demo: round %d: %s\n", round, r)
			}
		}
		if err != nil || !demo.Repeats {
			fmt.Fprintln(out, "cspviz demo: the network ended; its final state stays on the page until you stop cspviz")
			<-ctx.Done()
			return serveResult(served)
		}
		fmt.Fprintf(out, "cspviz demo: round %d done; the next starts in %v\n", round, pause)
		select {
		case <-ctx.Done():
			return serveResult(served)
		case <-time.After(pause):
		}
	}
}

// runRound runs n until it ends or ctx does. A network that does not wind down
// promptly when stopped must not keep cspviz from ending: -for and Ctrl-C end
// the program within a second.
func runRound(ctx context.Context, n *graphs.Network, out io.Writer) error {
	ran := make(chan error, 1)
	go func() { ran <- n.Run(ctx) }()
	select {
	case err := <-ran:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-ran:
		return err
	case <-time.After(stopGrace / 2):
		fmt.Fprintln(out, "cspviz demo: the network is still stopping; not waiting for it")
		return ctx.Err()
	}
}

func serveResult(served <-chan error) error {
	if err := <-served; err != nil {
		return fmt.Errorf("cspviz demo: %w", err)
	}
	return nil
}

func quoteName(name string) string {
	if name == "" {
		return "the network"
	}
	return fmt.Sprintf("%q", name)
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
