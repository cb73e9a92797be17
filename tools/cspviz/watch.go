package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gocsp/gocsp/tools/cspviz/internal/viewer"
)

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
		m := newMerged(pos)
		opts = append(opts, m.viewerOptions()...)
		srv := &http.Server{Handler: m, ReadHeaderTimeout: 5 * time.Second}
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
