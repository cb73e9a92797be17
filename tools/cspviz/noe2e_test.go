//go:build !e2e

package main

// closeBrowser stands in for the end-to-end tests' (see e2e_test.go): without
// them no browser is started.
func closeBrowser() {}

// e2eDefaults stands in for the end-to-end tests' (see e2e_test.go).
func e2eDefaults() {}
