//go:build !gocsp_portable && !race && go1.25 && !go1.27

package csp

// waitReasonSyncCondWait is runtime.waitReasonSyncCondWait in Go 1.25 and 1.26.
const waitReasonSyncCondWait = 21
