package net

import "errors"

// ErrLinkLost is returned by every operation and selection that depended on a link to another node
// when that link is lost: the peer closed it, stopped answering heartbeats, or sent garbage. It is
// distinct from csp.ErrPoisoned; test for it with errors.Is. A process that fails with it poisons the
// ends it owns, like any failure. A lost link is never reopened silently: open new ends.
var ErrLinkLost = errors.New("net: link lost")

// ErrTypeMismatch is returned when an end is opened with an element type or codec other than the
// exported channel's; the error names both.
var ErrTypeMismatch = errors.New("net: element type or codec mismatch")

// ErrNoChannel is returned when an end is opened on a name the node does not export.
var ErrNoChannel = errors.New("net: no such channel")

// ErrClosed is returned by Export, OpenReader and OpenWriter on a node that was closed.
var ErrClosed = errors.New("net: node is closed")

// ErrHandshake is matched (errors.Is) by every refused handshake, whichever side refused: the
// connection never became a link. The errors below say why, where a caller can act on it.
var ErrHandshake = errors.New("handshake refused")

// handshakeError is a reason a handshake was refused; it matches ErrHandshake too.
type handshakeError string

func (e handshakeError) Error() string        { return string(e) }
func (e handshakeError) Is(target error) bool { return target == ErrHandshake }

var (
	// ErrNoSecret: one of the two nodes has a shared secret (WithSecret) and the other has none.
	ErrNoSecret error = handshakeError("no shared secret")
	// ErrWrongSecret: both nodes have a shared secret, and they differ.
	ErrWrongSecret error = handshakeError("the shared secrets differ")
	// ErrProtocolVersion: the peer speaks another version of the wire protocol.
	ErrProtocolVersion error = handshakeError("protocol version mismatch")
	// ErrTLS: the TLS handshake failed (no certificate, one from another authority, a plaintext
	// peer on a TLS node, ...); the error wraps crypto/tls's.
	ErrTLS error = handshakeError("TLS handshake failed")
)
