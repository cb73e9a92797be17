// Package cli is the flag handling that every example command shares: -topology writes the
// network's topology and exits, -debug serves the network's live state while it runs, -trace writes
// a trace of the run, and an interrupt shuts the network down by poison.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/gocsp/gocsp/graphs"
)

// Flags holds the shared flags. Make it with Register before flag parsing.
type Flags struct {
	Topology string        // write the topology JSON here ("-" for stdout) and exit without running
	Debug    string        // serve the network's Handler on this address while it runs
	Linger   time.Duration // with Debug, wait up to this long for a viewer, and serve this long after the end
	Trace    string        // write a JSON-lines trace of the run here
}

// Register defines the shared flags on fs and returns where their values go.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.StringVar(&f.Topology, "topology", "", "write the network's topology as JSON to `FILE` (- for stdout) and exit")
	fs.StringVar(&f.Debug, "debug", "", "serve the live network (/topology, /snapshot, /events) on `ADDR` while it runs: :8080 or 8080 listens on loopback only, HOST:8080 on HOST's interfaces")
	fs.DurationVar(&f.Linger, "linger", 0, "with -debug, wait up to this long for a viewer before running, and keep serving this long after the network has ended")
	fs.StringVar(&f.Trace, "trace", "", "write a JSON-lines trace of the run to `FILE`")
	return f
}

// Observed reports whether the flags need the network observed (a debug server or a trace).
func (f *Flags) Observed() bool { return f.Debug != "" || f.Trace != "" }

// Report prints what a network computed once Run has returned runErr, and returns the error that
// makes the command fail, or nil.
type Report func(stdout io.Writer, runErr error) error

// Build makes the network with the options the flags ask for, and its report.
type Build func(opts ...graphs.Option) (*graphs.Network, Report)

// Main is Run with the process's stdout and stderr, under a context that an interrupt cancels. It
// returns the exit status: pass it to os.Exit.
func (f *Flags) Main(build Build) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return f.Run(ctx, os.Stdout, os.Stderr, build)
}

// Run builds the network and does what the flags say: write its topology, or run it (serving it
// and tracing it if asked) and report. Errors go to stderr; the result is the exit status, 0 on
// success and 1 on failure.
func (f *Flags) Run(ctx context.Context, stdout, stderr io.Writer, build Build) int {
	if err := f.run(ctx, stdout, stderr, build); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

func (f *Flags) run(ctx context.Context, stdout, stderr io.Writer, build Build) (err error) {
	var opts []graphs.Option
	if f.Trace != "" && f.Topology == "" {
		tf, err := os.Create(f.Trace)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := tf.Close(); err == nil && cerr != nil {
				err = cerr
			}
		}()
		opts = append(opts, graphs.WithTrace(tf))
	}
	n, report := build(opts...)
	if f.Topology != "" {
		return writeTopology(n, f.Topology, stdout)
	}
	if f.Debug != "" {
		addr := DebugAddr(f.Debug)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("-debug: %w", err)
		}
		// No WriteTimeout: it would cut the event streams, which bound
		// their own writes.
		// With -linger the run is meant to be watched: it waits for the first
		// viewer to follow its events (up to the linger time), so that the
		// viewer sees it from the start rather than only its end.
		watched := make(chan struct{})
		var once sync.Once
		h := n.Handler()
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/events") {
				once.Do(func() { close(watched) })
			}
			h.ServeHTTP(w, r)
		})
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		fmt.Fprintf(stdout, "debug: serving %s at %s (paths /topology, /snapshot, /events)\n", n.Name(), URL(ln.Addr()))
		if f.Linger > 0 {
			fmt.Fprintf(stdout, "debug: waiting up to %v for a viewer before running\n", f.Linger)
			select {
			case <-watched:
			case <-time.After(f.Linger):
			case <-ctx.Done():
			}
		}
		defer func() {
			if f.Linger > 0 {
				select {
				case <-time.After(f.Linger):
				case <-ctx.Done():
				}
			}
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if srv.Shutdown(sctx) != nil {
				srv.Close()
			}
			if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
				err = serr
			}
		}()
	}
	runErr := n.Run(ctx)
	return report(stdout, runErr)
}

// DebugAddr is the address -debug listens on: a bare port (":8080" or "8080") means the loopback
// interface only, as anything that exposes a network's state must by default; an explicit host,
// including 0.0.0.0, is taken as asked.
func DebugAddr(flag string) string {
	if !strings.Contains(flag, ":") {
		flag = ":" + flag
	}
	host, port, err := net.SplitHostPort(flag)
	if err != nil || host != "" {
		return flag
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// URL returns the http URL of a listener's address: the address it really listens on, so that an
// unspecified host (all interfaces) shows as such rather than as localhost.
func URL(a net.Addr) string {
	return "http://" + a.String() + "/"
}

func writeTopology(n *graphs.Network, file string, stdout io.Writer) error {
	if file == "-" {
		return n.Topology().WriteJSON(stdout)
	}
	tf, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := n.Topology().WriteJSON(tf); err != nil {
		tf.Close()
		return err
	}
	return tf.Close()
}
