// Package examples_test builds every example command once and runs it briefly, checking what it
// prints, its exit status, and what -topology and -debug give.
package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocsp/gocsp/graphs"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var names = []string{"commstime", "sieve", "mcpi", "philosophers", "mandelbrot", "gpupipeline", "remotefarm"}

// build builds the example commands into a temporary directory and returns it.
func build(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the example commands")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./"+n)
	}
	cmd := exec.Command(gobin, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", filepath.Base(bin), args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not end in time", filepath.Base(bin), args)
	}
	return result{stdout.String(), stderr.String(), code}
}

func (r result) ok(t *testing.T) {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
}

func TestExamples(t *testing.T) {
	dir := build(t)
	bin := func(name string) string { return filepath.Join(dir, name) }

	t.Run("commstime", func(t *testing.T) {
		r := run(t, bin("commstime"), "-n", "20000")
		r.ok(t)
		for _, re := range []string{
			`(?m)^commstime: 20000 cycles, 4 communications each$`,
			`(?m)^csp \(unobserved\) +[0-9.]+ ns/comm$`,
			`(?m)^go channels +[0-9.]+ ns/comm$`,
			`(?m)^ratio csp/go +[0-9.]+$`,
		} {
			if !regexp.MustCompile(re).MatchString(r.stdout) {
				t.Errorf("output does not match %s:\n%s", re, r.stdout)
			}
		}
	})

	t.Run("sieve", func(t *testing.T) {
		r := run(t, bin("sieve"), "-n", "20")
		r.ok(t)
		if want := "2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53 59 61 67 71\n"; r.stdout != want {
			t.Fatalf("stdout %q, want %q", r.stdout, want)
		}
		r = run(t, bin("sieve"), "-n", "1000")
		r.ok(t)
		if f := strings.Fields(r.stdout); len(f) != 1000 || f[999] != "7919" {
			t.Fatalf("sieve -n 1000 printed %d numbers ending %q", len(f), f[len(f)-1])
		}
		if r = run(t, bin("sieve"), "-n", "0"); r.code == 0 || r.stderr == "" {
			t.Fatalf("sieve -n 0: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("mcpi", func(t *testing.T) {
		r := run(t, bin("mcpi"), "-workers", "3", "-jobs", "20", "-samples", "20000", "-seed", "3")
		r.ok(t)
		m := regexp.MustCompile(`(?m)^pi ≈ ([0-9.]+) \(error ([0-9.]+)\) from 400000 samples in 20 jobs over 3 workers$`).
			FindStringSubmatch(r.stdout)
		if m == nil {
			t.Fatalf("unexpected output:\n%s", r.stdout)
		}
		est, _ := strconv.ParseFloat(m[1], 64)
		e, _ := strconv.ParseFloat(m[2], 64)
		if math.Abs(est-math.Pi) > 0.05 || math.Abs(math.Abs(est-math.Pi)-e) > 1e-7 {
			t.Fatalf("estimate %v, error %v", est, e)
		}
	})

	t.Run("philosophers", func(t *testing.T) {
		r := run(t, bin("philosophers"), "-d", "300ms")
		r.ok(t)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 5 {
			t.Fatalf("want 5 lines:\n%s", r.stdout)
		}
		re := regexp.MustCompile(`^philosopher-(\d) ate (\d+) times$`)
		for i, l := range lines {
			m := re.FindStringSubmatch(l)
			if m == nil || m[1] != strconv.Itoa(i) || m[2] == "0" {
				t.Errorf("line %q", l)
			}
		}
	})

	t.Run("philosophers-deadlock", func(t *testing.T) {
		r := run(t, bin("philosophers"), "-deadlock")
		r.ok(t)
		if !strings.HasPrefix(r.stdout, "graphs: deadlock: ") {
			t.Fatalf("stdout %q", r.stdout)
		}
		for i := range 5 {
			for _, n := range []string{"philosopher-", "fork-"} {
				if s := n + strconv.Itoa(i); !strings.Contains(r.stdout, s) {
					t.Errorf("deadlock report lacks %s: %s", s, r.stdout)
				}
			}
		}
	})

	t.Run("mandelbrot", func(t *testing.T) {
		dir := t.TempDir()
		var pngs [][]byte
		for i, args := range [][]string{{}, {"-pipeline", "-batch", "3"}} {
			file := filepath.Join(dir, strconv.Itoa(i)+".png")
			r := run(t, bin("mandelbrot"), append([]string{"-backend", "cpu", "-size", "64", "-o", file}, args...)...)
			r.ok(t)
			for _, re := range []string{
				`(?m)^backend cpu on cpu \(\d+ workers\): the CPU backend was asked for$`,
				`(?m)^wrote .*\.png: 64×64 pixels, at most 256 iterations$`,
			} {
				if !regexp.MustCompile(re).MatchString(r.stdout) {
					t.Errorf("output does not match %s:\n%s", re, r.stdout)
				}
			}
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
				t.Fatalf("image %v", b)
			}
			// The centre of the default view, -0.6, is inside the set: black.
			if r, g, b, _ := img.At(32, 32).RGBA(); r|g|b != 0 {
				t.Errorf("centre pixel %v, want black", img.At(32, 32))
			}
			pngs = append(pngs, raw)
		}
		if !bytes.Equal(pngs[0], pngs[1]) {
			t.Error("the pipelined form drew a different image")
		}
		if r := run(t, bin("mandelbrot"), "-backend", "cuda", "-o", filepath.Join(dir, "x.png")); r.code != 1 || !strings.Contains(r.stderr, "not built in") {
			t.Errorf("-backend cuda without the cuda tag: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("gpupipeline", func(t *testing.T) {
		var sums []string
		for _, args := range [][]string{{}, {"-pipeline", "-batch", "3"}} {
			r := run(t, bin("gpupipeline"), append([]string{"-backend", "auto", "-vectors", "10", "-n", "1000"}, args...)...)
			r.ok(t)
			for _, re := range []string{
				`(?m)^backend cpu on cpu \(\d+ workers\): CUDA is not built in \(build with -tags cuda\)$`,
				`(?m)^10 vectors of 1000 elements through saxpy and sum in \S+$`,
				`(?m)^throughput [0-9.]+ Melem/s, [0-9.]+ MB/s of input$`,
			} {
				if !regexp.MustCompile(re).MatchString(r.stdout) {
					t.Errorf("output does not match %s:\n%s", re, r.stdout)
				}
			}
			m := regexp.MustCompile(`(?m)^sum of sums (\S+)$`).FindStringSubmatch(r.stdout)
			if m == nil {
				t.Fatalf("no sum in:\n%s", r.stdout)
			}
			// x and y are uniform in [0, 1), so each a·x + y averages 1.5 (a = 2).
			if s, _ := strconv.ParseFloat(m[1], 64); math.Abs(s/10000-1.5) > 0.05 {
				t.Errorf("sum of sums %v for 10000 elements", s)
			}
			sums = append(sums, m[1])
		}
		if sums[0] != sums[1] {
			t.Errorf("Proc and Pipeline sums differ: %v", sums)
		}
	})

	// The farm runs as four OS processes; with -kill-one, one worker is killed with SIGKILL while it
	// holds jobs, and the count must still be right, with exactly its unanswered jobs sent again.
	t.Run("remotefarm", func(t *testing.T) {
		secret := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(secret, []byte("a shared secret for the test's nodes\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, kill := range []bool{false, true} {
			args := []string{"-n", "3", "-jobs", "120"}
			if kill {
				args = append(args, "-kill-one", "-secret-file", secret) // every node proves the secret
			}
			r := run(t, bin("remotefarm"), args...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
			}
			if !strings.Contains(r.stdout, "primes below 300000: 25997 (expected 25997); 0 duplicate results") ||
				!strings.Contains(r.stdout, "the count is right") {
				t.Fatalf("wrong result:\n%s", r.stdout)
			}
			workers := regexp.MustCompile(`(?m)^worker \S+ +(up|lost) +jobs: +(\d+) sent +results: +(\d+) received$`).FindAllStringSubmatch(r.stdout, -1)
			if len(workers) != 3 {
				t.Fatalf("want 3 worker lines:\n%s", r.stdout)
			}
			lost := 0
			for _, w := range workers {
				sent, _ := strconv.Atoi(w[2])
				got, _ := strconv.Atoi(w[3])
				if w[1] == "lost" {
					lost++
					if got >= sent {
						t.Errorf("the killed worker answered all it took (%d of %d): it was not killed holding jobs", got, sent)
					}
				} else if got != sent {
					t.Errorf("a live worker answered %d of %d jobs", got, sent)
				}
			}
			if kill {
				if lost != 1 || !strings.Contains(r.stderr, "link lost") || !strings.Contains(r.stderr, "sending again the") {
					t.Fatalf("-kill-one: %d lost workers; stderr:\n%s", lost, r.stderr)
				}
			} else if lost != 0 || r.stderr != "" {
				t.Fatalf("no kill, but %d lost; stderr:\n%s", lost, r.stderr)
			}
		}
	})

	for _, name := range names {
		t.Run(name+"-topology", func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "topo.json")
			start := time.Now()
			run(t, bin(name), "-topology", file).ok(t)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("-topology took %v: did it run the network?", d)
			}
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			topo, err := graphs.ReadTopology(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := topo.Validate(); err != nil {
				t.Fatal(err)
			}
			procs := 3
			if name == "remotefarm" {
				procs = 1 // the dispatcher: its workers are processes of other nodes
			}
			if topo.Name == "" || len(topo.Processes) < procs || len(topo.Channels) < 2 || len(topo.Ends) < 4 {
				t.Fatalf("thin topology: %+v", topo)
			}
			// And it is plain JSON with the documented header.
			raw, _ := os.ReadFile(file)
			var hdr struct {
				Format  string `json:"format"`
				Version int    `json:"version"`
			}
			if err := json.Unmarshal(raw, &hdr); err != nil || hdr.Format != "gocsp-topology" || hdr.Version != 1 {
				t.Fatalf("header %+v, %v", hdr, err)
			}
		})
	}

	t.Run("trace", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "trace.jsonl")
		run(t, bin("philosophers"), "-deadlock", "-trace", file).ok(t)
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		hdr, evs, err := graphs.ReadTrace(f)
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Topology == nil || hdr.Topology.Name != "philosophers-deadlock" {
			t.Fatalf("header %+v", hdr)
		}
		seen := map[string]int{}
		for _, e := range evs {
			seen[e.Ev]++
		}
		for _, ev := range []string{"proc.start", "proc.end", "chan.write", "deadlock"} {
			if seen[ev] == 0 {
				t.Errorf("no %s event in the trace: %v", ev, seen)
			}
		}
	})

	t.Run("debug", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin("philosophers"), "-d", "2s", "-debug", "127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() {
			t.Fatalf("no output; stderr %q", stderr.String())
		}
		m := regexp.MustCompile(`^debug: serving philosophers at (http://\S+/) `).FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("first line %q", sc.Text())
		}
		for _, path := range []string{"topology", "snapshot"} {
			resp, err := http.Get(m[1] + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var doc struct {
				Format string `json:"format"`
			}
			if err := json.Unmarshal(body, &doc); err != nil || doc.Format != "gocsp-"+path {
				t.Errorf("GET /%s: %d %q (%v)", path, resp.StatusCode, body, err)
			}
		}
		http.DefaultClient.CloseIdleConnections()
		var rest []string
		for sc.Scan() {
			rest = append(rest, sc.Text())
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v; stderr %q", err, stderr.String())
		}
		if len(rest) != 5 {
			t.Fatalf("after the debug line, want 5 lines: %q", rest)
		}
	})
}
