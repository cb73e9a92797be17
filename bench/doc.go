// Package bench measures GoCSP's remote channels against what a user would otherwise pick for the
// same loopback work: raw TCP (with bufio), gRPC-go, NATS (an embedded nats-server) and net/rpc.
//
// It is a module of its own, so that the library's users never download gRPC or NATS. Each
// benchmark runs GoCSP and every peer as sub-benchmarks of one function, so one `go test -bench`
// run interleaves them; run.sh repeats such runs and prints the medians of the in-run ratios
// (GoCSP's time over each peer's), which is what to quote on a shared, noisy machine.
//
// GoCSP's streams write with credits (net.WithCredits, on nodes with a reconnection window), so a
// write returns once the home has reserved a buffer slot for its value; the peer "gocsp-acked" is
// the same stream without them, each write returning once the home's buffer has the value, so the
// two are compared in every run too.
package bench
