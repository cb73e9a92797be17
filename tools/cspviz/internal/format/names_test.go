package format

import (
	"strings"
	"testing"

	"github.com/gocsp/gocsp/csp"
)

// The viewer's names for states and events are the wire names csp gives them; a rename on either
// side must show here rather than as an unrecognised state in the browser.
func TestNamesAreCSPs(t *testing.T) {
	for want, got := range map[string]string{
		csp.StateRunning.String():      StateRunning,
		csp.StateBlockedRead.String():  StateBlockedRead,
		csp.StateBlockedWrite.String(): StateBlockedWrite,
		csp.StateAlting.String():       StateAlting,
		csp.StateSleeping.String():     StateSleeping,
		csp.StateWaiting.String():      StateWaiting,
		csp.StateDone.String():         StateDone,
		csp.StatePoisoned.String():     StatePoisoned,
		csp.StateFailed.String():       StateFailed,
		csp.EventStart.String():        EvProcStart,
		csp.EventBlock.String():        EvProcBlock,
		csp.EventUnblock.String():      EvProcUnblock,
		csp.EventEnd.String():          EvProcEnd,
		csp.EventRead.String():         EvChanRead,
		csp.EventWrite.String():        EvChanWrite,
		csp.EventPoison.String():       EvChanPoison,
		csp.EventRetire.String():       EvChanRetire,
		csp.EventChoice.String():       EvAltChoice,
		csp.EventDeadlock.String():     EvDeadlock,
	} {
		if got != want {
			t.Errorf("viewer says %q where csp says %q", got, want)
		}
	}
}

func TestReadTraceLineErrors(t *testing.T) {
	header := `{"format":"gocsp-trace","version":1,"start":"2026-11-21T10:00:00Z"}` + "\n"
	for name, tc := range map[string]struct{ in, want string }{
		"blank first line": {"\n" + header, "line 1: empty"},
		"line too long":    {header + strings.Repeat("x", maxLine+1) + "\n", "line 2: longer than"},
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
