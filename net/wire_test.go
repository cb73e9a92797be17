package net

import (
	"context"
	"io"
	gonet "net"
	"os"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestBadPeers: a peer that is not GoCSP, one that speaks another protocol version, one that sends
// a frame over the maximum size or of an unknown type, and one that connects and says nothing are
// each refused or dropped; the node goes on serving its other peers, and Close does not wait for
// the silent one. Refusals and violations are logged.
func TestBadPeers(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	home, err := Listen("", WithMaxFrame(1024), WithLogger(zap.New(core)))
	require.NoError(t, err)
	ch := csp.NewChan[int]()
	require.NoError(t, Export(home, "c", ch))
	silent, err := gonet.Dial("tcp", home.Addr())
	require.NoError(t, err)
	defer silent.Close()
	bad := [][]byte{
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		append([]byte("GCSP\x00\x09\x00\x00"), appendFrame(nil, msgPing, 0, 0, 0, nil)...),
		append(appendHello(nil, "x:1", 0), appendFrame(nil, msgWrite, 0, 1, 1, make([]byte, 2000))...),
		append(appendHello(nil, "x:1", 0), appendFrame(nil, msgLast, 0, 1, 1, nil)...),
		append(appendHello(nil, "x:1", 0), appendFrame(nil, msgOpen, 0, 1, 0, []byte{9})...),
	}
	for _, b := range bad {
		c, err := gonet.Dial("tcp", home.Addr())
		require.NoError(t, err)
		c.Write(b)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.Copy(io.Discard, c) // the node closes (or resets) the connection
		require.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the node kept a bad peer's connection open")
		c.Close()
	}
	user, err := Listen("")
	require.NoError(t, err)
	defer user.Close()
	w, err := OpenWriter[int](context.Background(), user, home.Addr()+"/c")
	require.NoError(t, err)
	go w.Write(5)
	v, err := ch.Reader().Read()
	require.NoError(t, err)
	require.Equal(t, 5, v)
	require.NoError(t, home.Close())
	require.NotZero(t, logs.FilterMessage("refused a peer").Len(), "refused peers are logged")
	require.NotZero(t, logs.FilterMessage("protocol violation").Len(), "protocol violations are logged")
}
