package net

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The handshake: each side sends a hello as soon as the connection is up, and checks the other's.
//
//	offset size field
//	0      4    magic "GCSP"
//	4      2    protocol version (big-endian)
//	6      2    length n of the sender's listening address
//	8      n    the sender's listening address (host:port), so that the peer can reuse this
//	            connection for the ends it opens on the sender instead of dialling a second one
const (
	helloMagic  = "GCSP"
	protoVer    = 1
	helloFixed  = 8
	maxHelloLen = helloFixed + 255
)

var errHello = errors.New("bad handshake")

func appendHello(dst []byte, addr string) []byte {
	dst = append(dst, helloMagic...)
	dst = binary.BigEndian.AppendUint16(dst, protoVer)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(addr)))
	return append(dst, addr...)
}

// parseHelloFixed checks the fixed part of a hello and returns the length of the address that follows.
func parseHelloFixed(b []byte) (int, error) {
	if len(b) < helloFixed || string(b[:4]) != helloMagic {
		return 0, fmt.Errorf("%w: not a GoCSP peer", errHello)
	}
	if v := binary.BigEndian.Uint16(b[4:]); v != protoVer {
		return 0, fmt.Errorf("%w: protocol version %d, this node speaks %d", errHello, v, protoVer)
	}
	n := int(binary.BigEndian.Uint16(b[6:]))
	if n > maxHelloLen-helloFixed {
		return 0, fmt.Errorf("%w: address of %d bytes", errHello, n)
	}
	return n, nil
}

// parseHello decodes a whole hello, returning the peer's listening address.
func parseHello(b []byte) (string, error) {
	n, err := parseHelloFixed(b)
	if err != nil {
		return "", err
	}
	if len(b) != helloFixed+n {
		return "", fmt.Errorf("%w: %d bytes for an address of %d", errHello, len(b)-helloFixed, n)
	}
	return string(b[helloFixed:]), nil
}
