package csp_test

import (
	"testing"

	"github.com/gocsp/gocsp/internal/semtest"
)

// TestSemantics runs the semantic suite (internal/semtest) on local channels; net's tests run the
// same suite through remote ends.
func TestSemantics(t *testing.T) { semtest.Run(t, semtest.Local) }
