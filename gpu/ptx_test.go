package gpu

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// ptxasArchs are the GPUs the PTX must assemble for: the oldest it targets (Maxwell) and Hopper.
var ptxasArchs = []string{"sm_52", "sm_90"}

// ptxas returns the ptxas that GOCSP_PTXAS names, or skips the test (with a message saying how
// to run it) when it names none. CI sets it (.ci/run extracts ptxas from Debian's
// nvidia-cuda-toolkit), so there the check never skips.
func ptxas(t *testing.T) string {
	t.Helper()
	p := os.Getenv("GOCSP_PTXAS")
	if p == "" {
		t.Skip("GOCSP_PTXAS is not set: set it to a ptxas (CUDA 11.8 or newer) to assemble the embedded PTX; .ci/run does")
	}
	if _, err := exec.LookPath(p); err != nil {
		t.Fatalf("GOCSP_PTXAS=%s: %v", p, err)
	}
	return p
}

// assemble runs ptxas on src for arch and returns its complaint, if any.
func assemble(t *testing.T, ptxas, name, src, arch string) error {
	dir := t.TempDir()
	in := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(in, []byte(src), 0o644))
	out, err := exec.Command(ptxas, "-arch="+arch, "-o", filepath.Join(dir, "out.cubin"), in).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ptxas -arch=%s %s: %v\n%s", arch, name, err, out)
	}
	return nil
}

func embeddedPTX(t *testing.T) map[string]string {
	files := map[string]string{}
	require.NoError(t, fs.WalkDir(PTX(), ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(PTX(), path)
		files[path] = string(b)
		return err
	}))
	return files
}

func TestPTXAssembles(t *testing.T) {
	bin := ptxas(t)
	files := embeddedPTX(t)
	require.NotEmpty(t, files)
	for name, src := range files {
		for _, arch := range ptxasArchs {
			require.NoError(t, assemble(t, bin, name, src, arch))
		}
	}
}

func TestPTXCheckRejectsMalformedInstruction(t *testing.T) {
	bin := ptxas(t)
	src := embeddedPTX(t)["saxpy.ptx"]
	bad := strings.Replace(src, "mul.rn.f32", "mul.rn.f33", 1)
	require.NotEqual(t, src, bad)
	for _, arch := range ptxasArchs {
		err := assemble(t, bin, "saxpy-bad.ptx", bad, arch)
		require.Error(t, err, "ptxas accepted a malformed instruction for %s", arch)
		require.Contains(t, err.Error(), "f33")
	}
}

// TestPTXHeaders needs no ptxas: each file targets the low ISA and sm_52 that the package
// promises, and holds the entry it is named after, which Open loads by that name.
func TestPTXHeaders(t *testing.T) {
	// The PTX's parameters are (out, in, n) and then the scalars that the Go side passes.
	entries := map[string]int{}
	for _, l := range []launch{SAXPY(1).launch(), Map(Abs).launch(), Sum().launch(), Mandelbrot(1).launch(), PiHits(1).launch()} {
		entries[l.entry+".ptx"] = 3 + len(l.params)
	}
	files := embeddedPTX(t)
	require.Len(t, files, len(entries))
	for name, src := range files {
		params, ok := entries[name]
		require.True(t, ok, "%s is no kernel's PTX", name)
		require.Len(t, regexp.MustCompile(`(?m)^\t\.param \.`).FindAllString(src, -1), params, "%s: parameters", name)
		require.Regexp(t, `(?m)^\.version 6\.0$`, src, name)
		require.Regexp(t, `(?m)^\.target sm_52$`, src, name)
		entry := strings.TrimSuffix(name, ".ptx")
		require.Regexp(t, regexp.MustCompile(`(?m)^\.visible \.entry `+entry+`\(`), src, name)
	}
}
