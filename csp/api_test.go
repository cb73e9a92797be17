package csp

import (
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// userAPI is every exported package-level name of csp: what `go doc ./csp` lists. A name added to
// csp is added here on purpose, as part of the user API; what only a transport (package net)
// needs lives in internal/transport and is reached through the Transport methods instead.
var userAPI = []string{
	"Alt", "Buffered", "CancelOnFailure", "Chan", "ChanOption", "ChanStats", "Channel",
	"Deadlock", "Dir", "DirRead", "DirWrite", "End", "ErrNoGuard", "ErrNotProcess",
	"ErrPoisoned", "ErrRetired", "Event", "EventKind", "Guard", "Handle", "HookError",
	"KeepOpen", "Monitor", "MonitorOption", "NewAlt", "NewChan", "NewMonitor", "OnDeadlock",
	"OpError", "Own", "PanicError", "Parallel", "ParallelContext", "PendingOp", "PriSelect",
	"PriSelectContext", "Proc", "Process", "ProcessError", "ProcessInfo", "ProcessRef",
	"Reader", "RecvGuard", "Recv", "Replicate", "Select", "SelectContext", "Send", "SendGuard",
	"Sequence", "SequenceContext", "Skip", "SkipGuard", "Sleep", "Spawn", "SpawnContext", "State",
	"Timeout", "TimeoutGuard", "Tracer", "TracerFunc", "WithTracer", "Writer", "Named",
	"EventBlock", "EventChoice", "EventDeadlock", "EventEnd", "EventLinkLost", "EventPoison",
	"EventRead", "EventRetire", "EventStart", "EventUnblock", "EventWrite",
	"StateAlting", "StateBlockedRead", "StateBlockedWrite", "StateDone", "StateFailed",
	"StatePoisoned", "StateRunning", "StateSleeping", "StateWaiting",
}

// TestGoDocShowsTheUserAPI reads the package as `go doc` does and checks that its exported
// package-level names are exactly the user API, and that the transport's door is only the
// Transport method of Chan, Reader and Writer: no other exported method mentions the internal
// transport package.
func TestGoDocShowsTheUserAPI(t *testing.T) {
	pkg := docPackage(t)
	var got []string
	add := func(names ...string) { got = append(got, names...) }
	for _, v := range slices.Concat(pkg.Consts, pkg.Vars) {
		add(v.Names...)
	}
	for _, f := range pkg.Funcs {
		add(f.Name)
	}
	var doors []string
	for _, ty := range pkg.Types {
		add(ty.Name)
		for _, v := range slices.Concat(ty.Consts, ty.Vars) {
			add(v.Names...)
		}
		for _, f := range ty.Funcs {
			add(f.Name)
		}
		for _, m := range ty.Methods {
			if mentionsTransport(m.Decl) {
				doors = append(doors, ty.Name+"."+m.Name)
			}
		}
	}
	got = filterExported(got)
	want := slices.Clone(userAPI)
	slices.Sort(got)
	slices.Sort(want)
	for _, n := range got {
		if !slices.Contains(want, n) {
			t.Errorf("go doc ./csp shows %s, which is not in the user API (a transport's name belongs in internal/transport)", n)
		}
	}
	for _, n := range want {
		if !slices.Contains(got, n) {
			t.Errorf("go doc ./csp no longer shows %s", n)
		}
	}
	slices.Sort(doors)
	if want := []string{"Chan.Transport", "Reader.Transport", "Writer.Transport"}; !slices.Equal(doors, want) {
		t.Errorf("exported methods that mention internal/transport: %v; want only %v", doors, want)
	}
}

// docPackage parses csp's non-test files for this build, as go doc does.
func docPackage(t *testing.T) *doc.Package {
	t.Helper()
	bp, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(bp.Dir, name), nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	pkg, err := doc.NewFromFiles(fset, files, "github.com/gocsp/gocsp/csp")
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// mentionsTransport reports whether a declaration's signature names the internal transport package.
func mentionsTransport(decl *ast.FuncDecl) bool {
	found := false
	ast.Inspect(decl.Type, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "transport" {
				found = true
			}
		}
		return !found
	})
	return found
}

func filterExported(names []string) []string {
	return slices.DeleteFunc(names, func(n string) bool { return !token.IsExported(n) || strings.HasPrefix(n, "_") })
}
