package guide

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// snippet is one Go block of the guide, and the output block that follows it, if any.
type snippet struct {
	file   string // the Markdown file
	line   int    // where the block starts
	code   string
	output *string // nil: compile only
}

// fence matches a fenced block: its language and its text.
var fence = regexp.MustCompile("(?ms)^```([a-z]*)\n(.*?)^```\n")

// snippets returns every Go block of the guide's Markdown files.
func snippets(t *testing.T) []snippet {
	t.Helper()
	files, err := filepath.Glob("*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Markdown files: %v", err)
	}
	var all []snippet
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		ms := fence.FindAllStringSubmatchIndex(text, -1)
		for i, m := range ms {
			if text[m[2]:m[3]] != "go" {
				continue
			}
			s := snippet{file: f, line: 1 + strings.Count(text[:m[0]], "\n"), code: text[m[4]:m[5]]}
			if i+1 < len(ms) && text[ms[i+1][2]:ms[i+1][3]] == "output" && strings.TrimSpace(text[m[1]:ms[i+1][0]]) == "" {
				out := text[ms[i+1][4]:ms[i+1][5]]
				s.output = &out
			}
			all = append(all, s)
		}
	}
	return all
}

// Every Go block of the guide is a whole program that builds inside this module, and each one that
// an output block follows prints exactly that. The programs are laid over the module with
// -overlay, so nothing is written into the tree.
func TestGuideSnippets(t *testing.T) {
	ss := snippets(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	overlay := map[string]string{}
	pkgs := make([]string, len(ss))
	for i, s := range ss {
		if !strings.HasPrefix(s.code, "package main\n") {
			t.Errorf("%s:%d: a Go block of the guide is a whole program: it starts with package main", s.file, s.line)
		}
		src := filepath.Join(tmp, fmt.Sprintf("s%d.go", i))
		if err := os.WriteFile(src, []byte(s.code), 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs[i] = fmt.Sprintf("./docs/guide/_snippets/s%d", i)
		overlay[filepath.Join(root, pkgs[i][2:], "main.go")] = src
	}
	ov, _ := json.Marshal(map[string]any{"Replace": overlay})
	ovFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovFile, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	goCmd := func(ctx context.Context, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, gobin, args...)
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("%v\n%s", err, stderr.Bytes())
		}
		return out, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// One build of them all, each program linked into bin/ (go vet would chdir into the
	// directories, which exist only in the overlay).
	bin := filepath.Join(tmp, "bin")
	if _, err := goCmd(ctx, append([]string{"build", "-overlay", ovFile, "-o", bin + string(filepath.Separator)}, pkgs...)...); err != nil {
		t.Fatalf("the guide's programs do not build (s<N> is the N-th Go block, in file order):\n%v\n%s", err, index(ss))
	}
	t.Run("run", func(t *testing.T) { // returns once its parallel subtests have
		runSnippets(t, ctx, ss, bin)
	})
}

// runSnippets runs each built program that an output block follows, side by side, and compares.
func runSnippets(t *testing.T, ctx context.Context, ss []snippet, bin string) {
	for i, s := range ss {
		if s.output == nil {
			continue
		}
		t.Run(fmt.Sprintf("%s:%d", s.file, s.line), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(bin, fmt.Sprintf("s%d", i)))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("s%d: %v\n%s", i, err, out)
			}
			if string(out) != *s.output {
				t.Fatalf("prints\n%s\nwhere the guide says\n%s", out, *s.output)
			}
		})
	}
}

// index says which Markdown block each s<N> is.
func index(ss []snippet) string {
	var b strings.Builder
	for i, s := range ss {
		fmt.Fprintf(&b, "s%d: %s:%d\n", i, s.file, s.line)
	}
	return b.String()
}
