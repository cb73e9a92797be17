package csp

import (
	"context"
	"testing"
)

func TestProcessAttrsDescribeWithoutSharing(t *testing.T) {
	p := Proc("worker", func(context.Context) error { return nil }).SetKind("Map").SetAttr("workers", "4")
	attrs := p.Attrs()
	if p.Kind() != "Map" || attrs["workers"] != "4" || len(attrs) != 1 {
		t.Fatalf("kind %q attrs %v", p.Kind(), attrs)
	}
	attrs["workers"] = "99"
	if got := p.Attrs()["workers"]; got != "4" {
		t.Fatalf("changing the returned map changed the process: %q", got)
	}
	if Proc("plain", func(context.Context) error { return nil }).Attrs() != nil {
		t.Fatal("a process without attributes should report none")
	}
}
