package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/render"
	"github.com/gocsp/gocsp/tools/cspviz/internal/viewer"
)

func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("render", "render FILE|URL [-o out.svg|out.dot] [-format svg|dot] [-layout auto]", stderr)
	out := fs.String("o", "-", "output file; its extension (.svg, .dot, .gv) picks the format; - for stdout")
	outFormat := fs.String("format", "", "output format, svg or dot (default: from -o's extension, else svg)")
	layout := addLayoutFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return errUsage
	}
	src, err := oneArg(fs, pos, "topology file or URL")
	if err != nil {
		return err
	}
	f, err := outputFormat(*out, *outFormat)
	if err != nil {
		return fmt.Errorf("cspviz render: %w", err)
	}
	if err := checkLayout(*layout); err != nil {
		return fmt.Errorf("cspviz render: %w", err)
	}
	top, err := loadTopology(ctx, src)
	if err != nil {
		return fmt.Errorf("cspviz render: %w", err)
	}
	g := render.Build(top, render.WithLayout(*layout))
	data := g.DOT
	if f == "svg" {
		var how render.Layout
		data, how, err = g.Draw(ctx)
		if err != nil {
			return fmt.Errorf("cspviz render: %s: %w", src, err)
		}
		if how.Reason != "" && *layout != render.LayoutAuto {
			fmt.Fprintf(stderr, "cspviz render: drew %s with the built-in layered layout, not %s: %s\n", src, *layout, how.Reason)
		}
	}
	if *out == "-" {
		_, err = stdout.Write(data)
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return fmt.Errorf("cspviz render: %w", err)
	}
	return nil
}

// outputFormat picks the format from the flag, else from the file name.
func outputFormat(out, flagFormat string) (string, error) {
	if flagFormat != "" {
		switch flagFormat {
		case "svg", "dot":
			return flagFormat, nil
		case "gv":
			return "dot", nil
		}
		return "", fmt.Errorf("unknown format %q (want svg or dot; PNG is not supported, convert the SVG)", flagFormat)
	}
	if out == "-" {
		return "svg", nil
	}
	switch ext := strings.ToLower(filepath.Ext(out)); ext {
	case ".svg":
		return "svg", nil
	case ".dot", ".gv":
		return "dot", nil
	default:
		return "", fmt.Errorf("cannot tell the format of %q from its extension %q; name it .svg or .dot, or pass -format", out, ext)
	}
}

// loadTopology reads a topology from a running network's URL, a topology
// JSON file, or the header of a trace file.
func loadTopology(ctx context.Context, src string) (*format.Topology, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		return viewer.FetchTopology(ctx, http.DefaultClient, src, 10*time.Second)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, err // *PathError names the file
	}
	var head struct {
		Format string `json:"format"`
	}
	// Sniff the first line only: a trace's later lines are events.
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if json.Unmarshal(first, &head) == nil && head.Format == format.TraceFormat {
		tr, err := format.ReadTrace(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		return tr.Header.Topology, nil
	}
	top, err := format.DecodeTopology(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return top, nil
}
