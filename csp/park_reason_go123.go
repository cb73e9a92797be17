//go:build !gocsp_portable && !race && !go1.25

package csp

// waitReasonSyncCondWait is runtime.waitReasonSyncCondWait in Go 1.23 and 1.24.
const waitReasonSyncCondWait = 20
