package net

import (
	"encoding/binary"
	"fmt"
)

// The handshake: each side sends a hello as soon as the connection is up, and checks the other's.
//
//	offset size field
//	0      4    magic "GCSP"
//	4      2    protocol version (big-endian)
//	6      2    flags (helloSecret: the sender has a shared secret and will prove it)
//	8      2    length n of the sender's listening address
//	10     n    the sender's listening address (host:port), so that the peer can reuse this
//	            connection for the ends it opens on the sender instead of dialling a second one
//
// The version comes first and stays where it is in every version, so that two nodes of different
// versions each say which versions they are (version 1 had no flags).
const (
	helloMagic  = "GCSP"
	protoVer    = 2
	helloHead   = 6 // magic and version
	helloFixed  = 10
	maxHelloLen = helloFixed + 255
)

// Hello flags.
const helloSecret uint16 = 1 << 0

// errHello: the peer sent something other than a hello of this protocol.
var errHello error = handshakeError("bad handshake")

func appendHello(dst []byte, addr string, flags uint16) []byte {
	dst = append(dst, helloMagic...)
	dst = binary.BigEndian.AppendUint16(dst, protoVer)
	dst = binary.BigEndian.AppendUint16(dst, flags)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(addr)))
	return append(dst, addr...)
}

// parseHelloHead checks the magic and the version.
func parseHelloHead(b []byte) error {
	if len(b) < helloHead || string(b[:4]) != helloMagic {
		return fmt.Errorf("%w: not a GoCSP peer", errHello)
	}
	if v := binary.BigEndian.Uint16(b[4:]); v != protoVer {
		return fmt.Errorf("%w: the peer speaks version %d, this node %d", ErrProtocolVersion, v, protoVer)
	}
	return nil
}

// parseHelloFixed checks the fixed part of a hello and returns the length of the address that follows.
func parseHelloFixed(b []byte) (int, error) {
	if err := parseHelloHead(b); err != nil {
		return 0, err
	}
	if len(b) < helloFixed {
		return 0, fmt.Errorf("%w: a hello of %d bytes", errHello, len(b))
	}
	n := int(binary.BigEndian.Uint16(b[8:]))
	if n > maxHelloLen-helloFixed {
		return 0, fmt.Errorf("%w: address of %d bytes", errHello, n)
	}
	return n, nil
}

// parseHello decodes a whole hello, returning the peer's listening address and flags.
func parseHello(b []byte) (string, uint16, error) {
	n, err := parseHelloFixed(b)
	if err != nil {
		return "", 0, err
	}
	if len(b) != helloFixed+n {
		return "", 0, fmt.Errorf("%w: %d bytes for an address of %d", errHello, len(b)-helloFixed, n)
	}
	return string(b[helloFixed:]), binary.BigEndian.Uint16(b[6:]), nil
}
