package viewer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Serve serves h (a Live or Replay viewer) until ctx is done, printing the
// page's URL first. Open event streams end with ctx, so Serve returns
// promptly.
func Serve(ctx context.Context, h http.Handler, what string, opts ...Option) error {
	cfg := newConfig(opts)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.addr, err)
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(cfg.out, "cspviz: %s at %s\n", what, url)
	if cfg.open {
		openBrowser(url)
	}
	return serveListener(ctx, ln, CheckHost(h, cfg.addr))
}

// CheckHost refuses requests whose Host header is a name other than
// localhost or the one the server was told to listen on. A page of another
// site can point its own DNS name at 127.0.0.1 (DNS rebinding) and so reach
// a loopback server as same-origin; the Host header it must send gives it
// away. IP literals are always accepted: they cannot be rebound.
func CheckHost(h http.Handler, listenAddr string) http.Handler {
	allowed := map[string]bool{"localhost": true}
	if host, _, err := net.SplitHostPort(listenAddr); err == nil && host != "" {
		allowed[strings.ToLower(host)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
		if net.ParseIP(host) == nil && !allowed[host] {
			http.Error(w, fmt.Sprintf("cspviz: Host %q is not this server's name; open the page by the address cspviz printed", r.Host), http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveListener serves h on ln until ctx is done.
func serveListener(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		// No WriteTimeout: it would cut the event streams, which bound
		// each of their writes themselves.
		// Requests inherit ctx, so streaming handlers stop when it ends
		// and Shutdown does not wait on them.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	// The streams end with ctx; Shutdown then only waits for connections to
	// go idle, polling at up to 500 ms. Stopping must take well under a
	// second, so what is not idle soon is closed.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// ServeNetwork shows a network that runs in this process: network is its
// handler (answering /topology, /snapshot and /events, as graphs.Handler
// does). The handler is served on a private loopback port and watched like
// any other network, so the page behaves exactly as with `cspviz watch`.
// It returns when ctx is done.
func ServeNetwork(ctx context.Context, network http.Handler, opts ...Option) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("serving the network's handler: %w", err)
	}
	netDone := make(chan error, 1)
	go func() { netDone <- serveListener(ctx, ln, network) }()
	defer func() { cancel(); <-netDone }()

	live, err := NewLive(ctx, "http://"+ln.Addr().String(), opts...)
	if err != nil {
		return err
	}
	return Serve(ctx, live, "watching "+quoteName(live.name), opts...)
}

func quoteName(name string) string {
	if name == "" {
		return "the network"
	}
	return fmt.Sprintf("%q", name)
}

// openBrowser asks the desktop to open url; failing to is not an error
// worth stopping for, the URL is printed anyway.
func openBrowser(url string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if cmd.Start() == nil {
		go cmd.Wait() // reap it; its exit status does not matter
	}
}
