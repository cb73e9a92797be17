package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/viewer"
)

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay", "replay TRACE.jsonl [-addr 127.0.0.1:0] [-open] [-for DURATION] [-layout dot]", stderr)
	sf := addServeFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return errUsage
	}
	path, err := oneArg(fs, pos, "trace file")
	if err != nil {
		return err
	}
	ctx, cancel, opts, err := sf.setup(ctx, stdout)
	if err != nil {
		return fmt.Errorf("cspviz replay: %w", err)
	}
	defer cancel()
	tr, err := readTraceFile(path)
	if err != nil {
		return fmt.Errorf("cspviz replay: %w", err)
	}
	rp := viewer.NewReplay(tr, path, opts...)
	what := fmt.Sprintf("replaying %s (%d events)", path, len(tr.Events))
	if err := viewer.Serve(ctx, rp, what, opts...); err != nil {
		return fmt.Errorf("cspviz replay: %w", err)
	}
	return nil
}

func readTraceFile(path string) (*format.Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr, err := format.ReadTrace(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tr, nil
}
