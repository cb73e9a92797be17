package net

import (
	"errors"
	gonet "net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gocsp/gocsp/csp"
)

// stallingPeer opens an end of target's channel "c" by hand and, once its frames are sent, says
// nothing more but heartbeats (until the test ends), so that its link stays alive.
func stallingPeer(t *testing.T, target *Node, dir csp.Dir) *rawPeer {
	t.Helper()
	p := dialRawPeer(t, target.Addr(), "127.0.0.1:1")
	p.send(t, msgOpen, 1, 0, openReq{dir: uint8(dir), name: "c", typ: "int", codec: "cbor"}.append(nil))
	require.Equal(t, msgOpened, p.next(t).typ)
	stop := make(chan struct{})
	var beats sync.WaitGroup
	beats.Add(1)
	go func() {
		defer beats.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if _, err := p.c.Write(appendFrame(nil, msgPing, 0, 0, 0, nil)); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { close(stop); beats.Wait() })
	return p
}

// dropped waits until target has closed p's connection.
func (p *rawPeer) dropped(t *testing.T) {
	t.Helper()
	p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := readFrame(p.br, DefaultMaxFrame, nil); err != nil {
			var ne gonet.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the stalling peer's link was not dropped")
			}
			return
		}
	}
}

// A peer that is offered a value (a plain read, or a parked selection that answered Held) and then
// never says Taken or Refused, while its heartbeats keep its link alive, does not hold the
// channel's writer for good: after the heartbeat bound the home fails the hold (the writer's Write
// returns ErrLinkLost: the peer may have the value, so it must not also be delivered here), drops
// the peer's link and logs why, and the channel goes on with its honest reader.
func TestSilentHolderReleasesWriter(t *testing.T) {
	for name, alt := range map[string]bool{"read": false, "alt read": true} {
		t.Run(name, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			target := nodes(t, 1, WithHeartbeat(20*time.Millisecond, 300*time.Millisecond), WithLogger(zap.New(core)))[0]
			ch := csp.NewChan[int](csp.Named("c"))
			require.NoError(t, Export(target, "c", ch))
			r := ch.Reader() // an honest reader, there all along

			p := stallingPeer(t, target, csp.DirRead)
			flags := uint8(0)
			if alt {
				flags = flagAlt // a parked input guard
			}
			_, err := p.c.Write(appendFrame(nil, msgRead, flags, 1, 1, nil))
			require.NoError(t, err)

			w := ch.Writer()
			wrote := make(chan error, 1)
			go func() { wrote <- w.Write(7) }()
			if alt {
				require.Equal(t, msgHold, p.next(t).typ)
				p.send(t, msgHeld, 1, 1, nil)
			}
			require.Equal(t, msgOffer, p.next(t).typ, "the value is offered")

			select {
			case err := <-wrote:
				require.ErrorIs(t, err, ErrLinkLost, "the peer may have the value: its writer must not succeed")
			case <-time.After(10 * time.Second):
				t.Fatal("a peer that never answered the offer holds the channel's writer")
			}
			// The peer's link is dropped: its late Taken reaches nobody.
			p.c.Write(appendFrame(nil, msgTaken, 0, 1, 1, nil))
			p.dropped(t)
			assert.True(t, logged(logs.All(), "protocol violation", "no answer", "127.0.0.1"), "no log line saying why the peer was dropped")

			// The channel goes on: the honest reader has the next value, exactly once.
			got := make(chan int, 1)
			go func() {
				v, err := r.Read()
				assert.NoError(t, err)
				got <- v
			}()
			require.NoError(t, w.Write(8))
			assert.Equal(t, 8, <-got)
		})
	}
}

// A peer whose output guard the home asks to hold (msgHold) and that never answers loses its link
// after the heartbeat bound, with a logged reason, instead of keeping its end's home waiting.
func TestSilentGuardIsDropped(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	target := nodes(t, 1, WithHeartbeat(20*time.Millisecond, 300*time.Millisecond), WithLogger(zap.New(core)))[0]
	ch := csp.NewChan[int](csp.Named("c"))
	require.NoError(t, Export(target, "c", ch))
	r, w := ch.Reader(), ch.Writer() // an honest reader and writer, there all along
	got := make(chan int, 1)
	go func() {
		v, err := r.Read()
		assert.NoError(t, err)
		got <- v
	}()

	p := stallingPeer(t, target, csp.DirWrite)
	payload, err := CBOR{}.Marshal(7)
	require.NoError(t, err)
	_, err = p.c.Write(appendFrame(nil, msgWrite, flagAlt, 1, 1, payload))
	require.NoError(t, err)
	require.Equal(t, msgHold, p.next(t).typ)
	p.dropped(t)
	assert.True(t, logged(logs.All(), "protocol violation", "no answer", "127.0.0.1"), "no log line saying why the peer was dropped")

	require.NoError(t, w.Write(8))
	assert.Equal(t, 8, <-got, "the peer's value was never written")
}
