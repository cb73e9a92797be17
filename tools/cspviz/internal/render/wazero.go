package render

// go-graphviz runs Graphviz on wazero. wazero releases before v1.12.0 crash
// on Go 1.26, so go.mod requires v1.12.0 directly; this import keeps that
// requirement direct (go mod tidy would otherwise demote it to indirect and
// a later upgrade of go-graphviz could quietly choose an older wazero).
import _ "github.com/tetratelabs/wazero"
