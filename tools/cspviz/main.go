// Command cspviz draws GoCSP process networks: it renders a topology as SVG or
// Graphviz DOT, watches a running network live in the browser, and replays a
// recorded trace.
//
//	cspviz render FILE|URL [-o out.svg|out.dot] [-format svg|dot] [-layout auto]
//	cspviz watch URL [-addr 127.0.0.1:0] [-open] [-for DURATION] [-layout auto]
//	cspviz replay TRACE.jsonl [-addr 127.0.0.1:0] [-open] [-for DURATION] [-layout auto]
//	cspviz demo [NAME] [-list] [-addr 127.0.0.1:0] [-open] [-for DURATION]
//
// Graphviz is built in (compiled to WebAssembly); nothing else needs to be
// installed. The formats read are those of docs/FORMATS.md, version 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gocsp/gocsp/examples/networks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// Once asked to stop, the program ends within a second whatever
		// still runs (an abandoned Graphviz layout cannot be interrupted),
		// and a second Ctrl-C ends it at once: the signal's default action
		// is back.
		<-ctx.Done()
		stop()
		time.Sleep(stopGrace)
		fmt.Fprintf(os.Stderr, "cspviz: still stopping after %v; exiting\n", stopGrace)
		os.Exit(1)
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// stopGrace is how long main waits for the commands to wind down after
// Ctrl-C, SIGTERM or -for before it exits regardless.
const stopGrace = time.Second

// errUsage marks an error already explained to the user by printing usage.
var errUsage = errors.New("usage")

// usage is the command's help. Its list of demos comes from the demo list itself, so that it names
// every one.
func usage() string {
	var names []string
	for _, d := range networks.Demos() {
		if d.Name == defaultDemo {
			names = append(names, d.Name+" (the default)")
		} else {
			names = append(names, d.Name)
		}
	}
	for _, short := range slices.Sorted(maps.Keys(demoAliases)) {
		names = append(names, short+" (short for "+demoAliases[short]+")")
	}
	return fmt.Sprintf(usageFormat, wrap("NAME is one of "+strings.Join(names, ", ")+".", "      ", 80))
}

// wrap breaks text into lines of at most width bytes (words never split), each starting with indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	b.WriteString(line)
	return b.String()
}

const usageFormat = `cspviz draws GoCSP process networks.

Usage:
  cspviz render FILE|URL [-o out.svg|out.dot] [-format svg|dot] [-layout auto]
      Draw a topology (a JSON file, a trace, or a running network's URL).
  cspviz watch URL [-addr 127.0.0.1:0] [-open] [-for DURATION] [-layout auto]
      Show a running network live in the browser.
  cspviz replay TRACE.jsonl [-addr 127.0.0.1:0] [-open] [-for DURATION] [-layout auto]
      Replay a recorded trace in the browser.
  cspviz demo [NAME] [-list] [-addr 127.0.0.1:0] [-open] [-for DURATION]
      Run an example network in-process and show it live.
%s

Run "cspviz COMMAND -h" for a command's flags.
`

// run is main without the process: it returns errors instead of exiting so
// that tests can drive every command.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "render":
		return runRender(ctx, rest, stdout, stderr)
	case "watch":
		return runWatch(ctx, rest, stdout, stderr)
	case "replay":
		return runReplay(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return nil
	}
	fmt.Fprintf(stderr, "cspviz: unknown command %q\n\n%s", cmd, usage())
	return errUsage
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("cspviz watch URL -addr :8080" reads naturally), and
// returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cspviz "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cspviz %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// oneArg checks that exactly one positional argument was given.
func oneArg(fs *flag.FlagSet, pos []string, what string) (string, error) {
	if len(pos) != 1 {
		fmt.Fprintf(fs.Output(), "%s: want exactly one %s, got %d arguments\n", fs.Name(), what, len(pos))
		fs.Usage()
		return "", errUsage
	}
	return pos[0], nil
}
