package net

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	gonet "net"
	"os"
)

// WithTLS runs every link of the node over TLS with cfg, as server for the peers that connect to it
// and as client to the peers it dials (with the dialled host as the server name unless cfg sets
// one). For mutual TLS, set cfg.ClientAuth to tls.RequireAndVerifyClientCert and cfg.ClientCAs;
// TLSConfigFromFiles does. A peer that fails the TLS handshake is refused and logged.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) {
		if cfg == nil {
			panic("net: WithTLS(nil)")
		}
		o.tls = cfg
	}
}

// TLSConfigFromFiles makes a TLS configuration for WithTLS from PEM files: the node's certificate
// and key, and the certificate authorities whose certificates its peers must present. Nodes are
// peers (each dials and accepts), so the configuration is mutual: a peer is accepted only with a
// certificate signed by one of those authorities, and a dialled peer's certificate must be too.
func TLSConfigFromFiles(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("net: loading the node's certificate: %w", err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("net: reading the certificate authorities: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("net: %s holds no PEM certificate", caFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}, nil
}

// WithSecret makes every link prove, in both directions, that the peer knows secret, before any
// frame reaches a channel: a challenge and response with HMAC-SHA256 over fresh random nonces from
// both sides and both hellos, so the secret never crosses the wire and a recorded exchange does not
// authenticate again. It works with or without TLS (with TLS, the proof is also bound to that TLS
// session). A peer that fails it is refused and logged. Use a secret of at least 32 random bytes.
func WithSecret(secret []byte) Option {
	return func(o *options) {
		if len(secret) == 0 {
			panic("net: WithSecret with an empty secret")
		}
		o.secret = append([]byte(nil), secret...)
	}
}

// SecretFile reads a shared secret from a file (for WithSecret), as the commands' -secret-file
// flags do: it must hold at least 16 bytes, and a trailing newline is not part of it, so that a
// secret written with echo and one written with printf agree.
func SecretFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("net: reading the shared secret: %w", err)
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) < 16 {
		return nil, fmt.Errorf("net: the shared secret in %s has %d bytes; use at least 16 (32 random ones, say)", path, len(b))
	}
	return b, nil
}

// WithInsecureAnyInterface lets Listen bind a non-loopback address with neither TLS nor a secret:
// anyone who can reach the port can then read and write the node's channels. For networks that are
// protected otherwise (a private overlay, a service mesh doing mutual TLS).
func WithInsecureAnyInterface() Option {
	return func(o *options) { o.allowWide, o.insecure = true, true }
}

// WithMaxPeers bounds the peers that connected to the node and are linked at once (256 by
// default); beyond it, a peer that passed its handshake is refused and logged, so that many peers
// cost bounded memory and goroutines. Connections still in their handshake are capped apart, by
// WithMaxHandshakes, so that no flood of unauthenticated sockets can fill these slots.
func WithMaxPeers(n int) Option {
	return func(o *options) {
		if n < 1 {
			panic(fmt.Sprintf("net: WithMaxPeers(%d)", n))
		}
		o.maxPeers = n
	}
}

// errAuth is why a peer was refused by the shared-secret handshake.
var errAuth error = handshakeError("authentication failed")

const (
	nonceLen = 32
	macLen   = sha256.Size
)

// secure runs the TLS handshake (if the node has TLS) on a new connection; dialled says which side
// this node is, and host names the dialled peer for certificate checks.
func (o *options) secure(c gonet.Conn, dialled bool, host string) (gonet.Conn, error) {
	if o.tls == nil {
		return c, nil
	}
	var tc *tls.Conn
	if dialled {
		cfg := o.tls
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
		tc = tls.Client(c, cfg)
	} else {
		tc = tls.Server(c, o.tls)
	}
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLS, err)
	}
	return tc, nil
}

// authenticate proves to the peer that this node knows the secret and checks that the peer does;
// mine and theirs are the two hellos as sent. Both sides send a nonce, then a MAC over a transcript
// of both hellos, both nonces and which side is speaking (so that a MAC reflected back to its
// sender does not pass), and with TLS the session's exported keying material (so that a MAC cannot
// be relayed from another session).
func (o *options) authenticate(c gonet.Conn, dialled bool, mine, theirs []byte) error {
	if o.secret == nil {
		return nil
	}
	var my, their [nonceLen]byte
	if _, err := rand.Read(my[:]); err != nil {
		return err
	}
	sent := make(chan error, 1)
	go func() { _, err := c.Write(my[:]); sent <- err }()
	if _, err := io.ReadFull(c, their[:]); err != nil {
		<-sent
		return fmt.Errorf("%w: no challenge from the peer: %v", errAuth, err)
	}
	if err := <-sent; err != nil {
		return err
	}
	var binding []byte
	if tc, ok := c.(*tls.Conn); ok {
		st := tc.ConnectionState()
		b, err := st.ExportKeyingMaterial("gocsp shared secret", nil, 32)
		if err != nil {
			return err
		}
		binding = b
	}
	mac := func(speaker bool, nSpeaker, nOther []byte, hSpeaker, hOther []byte) []byte {
		m := hmac.New(sha256.New, o.secret)
		role := []byte("acceptor")
		if speaker {
			role = []byte("dialler")
		}
		for _, part := range [][]byte{[]byte("gocsp-auth-v1"), role, hSpeaker, hOther, nSpeaker, nOther, binding} {
			m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(part))))
			m.Write(part)
		}
		return m.Sum(nil)
	}
	go func() { _, err := c.Write(mac(dialled, my[:], their[:], mine, theirs)); sent <- err }()
	var got [macLen]byte
	if _, err := io.ReadFull(c, got[:]); err != nil {
		<-sent
		return fmt.Errorf("%w: no answer to the challenge: %v", errAuth, err)
	}
	if err := <-sent; err != nil {
		return err
	}
	if !hmac.Equal(got[:], mac(!dialled, their[:], my[:], theirs, mine)) {
		return fmt.Errorf("%w: %w: the peer's proof does not match this node's secret", errAuth, ErrWrongSecret)
	}
	return nil
}
