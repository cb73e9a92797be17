package components

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package depends on csp alone (and the standard library), so that using a Delta does not pull
// in the logging, observation and HTTP of package graphs.
func TestPackageImportsOnlyCSPAndTheStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.SplitN(path, "/", 2)[0], ".")
			if !std && path != "github.com/gocsp/gocsp/csp" {
				t.Errorf("%s imports %s", f, path)
			}
			if path == "net/http" {
				t.Errorf("%s imports net/http", f)
			}
		}
	}
}
