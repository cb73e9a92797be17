package graphs

import (
	"slices"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/format"
)

// The format's names for states and events are the names csp gives them, which graphs writes; a
// rename on either side must show here rather than as an unrecognised state in a viewer.
func TestFormatNamesAreCSPs(t *testing.T) {
	for want, got := range map[string]string{
		csp.StateRunning.String():      format.StateRunning,
		csp.StateBlockedRead.String():  format.StateBlockedRead,
		csp.StateBlockedWrite.String(): format.StateBlockedWrite,
		csp.StateAlting.String():       format.StateAlting,
		csp.StateSleeping.String():     format.StateSleeping,
		csp.StateWaiting.String():      format.StateWaiting,
		csp.StateDone.String():         format.StateDone,
		csp.StatePoisoned.String():     format.StatePoisoned,
		csp.StateFailed.String():       format.StateFailed,
		csp.EventStart.String():        format.EvProcStart,
		csp.EventBlock.String():        format.EvProcBlock,
		csp.EventUnblock.String():      format.EvProcUnblock,
		csp.EventEnd.String():          format.EvProcEnd,
		csp.EventRead.String():         format.EvChanRead,
		csp.EventWrite.String():        format.EvChanWrite,
		csp.EventPoison.String():       format.EvChanPoison,
		csp.EventRetire.String():       format.EvChanRetire,
		csp.EventChoice.String():       format.EvAltChoice,
		csp.EventDeadlock.String():     format.EvDeadlock,
		csp.EventLinkLost.String():     format.EvChanLinkLost,
	} {
		if got != want {
			t.Errorf("format says %q where csp says %q", got, want)
		}
	}
	// Every state csp has, format lists, and no other.
	var states []string
	for s := csp.State(1); s.String() != "unknown"; s++ {
		states = append(states, s.String())
	}
	if got := format.States(); !slices.Equal(got, states) {
		t.Errorf("format.States() = %q; csp's states are %q", got, states)
	}
}
