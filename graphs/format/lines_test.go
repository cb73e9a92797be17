package format

import (
	"strings"
	"testing"
)

func TestReadTraceLineErrors(t *testing.T) {
	header := `{"format":"gocsp-trace","version":1,"start":"2026-11-21T10:00:00Z"}` + "\n"
	for name, tc := range map[string]struct{ in, want string }{
		"blank first line": {"\n" + header, "line 1: empty"},
		"line too long":    {header + strings.Repeat("x", MaxTraceLine+1) + "\n", "line 2: longer than"},
		"empty":            {"", "the trace is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadTrace(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
	tr, err := ReadTrace(strings.NewReader(header + "\n" + `{"t":1,"ev":"proc.start","proc":"p1","name":"a"}` + "\n"))
	if err != nil || len(tr.Events) != 1 || tr.Events[0].Ev != EvProcStart {
		t.Fatalf("a blank line after the header is skipped: %v %+v", err, tr)
	}
}
