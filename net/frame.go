package net

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Every frame on a link is a fixed 18-byte header, big-endian, then its payload:
//
//	offset size field
//	0      4    length of what follows this field: 14 + len(payload)
//	4      1    type (msg*)
//	5      1    flags (flag*)
//	6      4    end id, chosen by the node that opened the end
//	10     8    operation id, chosen by the node that posted the operation
//	18     n    payload (a value through the channel's codec, or a message's own fields)
const (
	headerLen    = 18
	lenFieldLen  = 4
	minFrameBody = headerLen - lenFieldLen
	// DefaultMaxFrame bounds a frame's size (header included) unless WithMaxFrame says otherwise.
	DefaultMaxFrame = 1 << 20
)

// Message types. "Opener" is the node that opened an end; "home" the node that exported the channel.
const (
	msgPing    uint8 = iota + 1 // either way: a heartbeat, no payload
	msgOpen                     // opener→home: open end id; payload: openReq
	msgOpened                   // home→opener: the end is open
	msgRefuse                   // home→opener: the end is refused; payload: the reason
	msgRead                     // opener→home: post read op (flagAlt: an input guard)
	msgWrite                    // opener→home: post write op (flagAlt: an output guard); payload: the value
	msgCancel                   // opener→home: withdraw op
	msgOffer                    // home→opener: a value for read op (held: the guard fires with it), its writer held; payload: value
	msgTaken                    // opener→home: the offered value was taken
	msgRefused                  // opener→home: the offer was not taken (flagBusy: ask again)
	msgDone                     // home→opener: op ended; payload: one result byte, then text
	msgPoison                   // opener→home: poison the channel through this end
	msgRetire                   // opener→home: retire this end
	msgHold                     // home→opener: hold op (a selection's guard)
	msgHeld                     // opener→home: op is held
	msgCommit                   // home→opener: held op is done; payload as msgDone
	msgRelease                  // home→opener: held op did not happen: wait on
	msgBye                      // either way: the sender is closing; all it owed precedes this
	msgCredit                   // home→opener: a writer end's credits (flagStop: no more); payload: creditMsg
	msgLast
)

const (
	flagAlt   uint8 = 1 << 0 // msgRead, msgWrite: posted by a selection, which may refuse
	flagBusy  uint8 = 1 << 0 // msgRefused: the selection is held elsewhere; ask again
	flagTry   uint8 = 1 << 1 // msgRead, msgWrite: a selection's first look; complete now or say not ready
	flagProbe uint8 = 1 << 2 // msgRead, msgWrite: say whether the operation could match now; change nothing
	// flagCredit: on msgOpen, the opener of a writer end asks for credits (WithCredits); on
	// msgWrite, a credited write (its op id is its count: 1, 2, ...); on msgDone, the plain write
	// used a slot reserved for the end, so it counts as a credited one.
	flagCredit uint8 = 1 << 3
	flagStop   uint8 = 1 << 0 // msgCredit: no more credits; later writes go the acknowledged way
)

// creditMsg is msgCredit's payload: the slots granted to the end so far and the credited writes
// the home has received so far, both counted from the end's opening.
type creditMsg struct{ granted, received uint64 }

func (m creditMsg) append(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(dst, m.granted), m.received)
}

func parseCredit(b []byte) (creditMsg, error) {
	if len(b) != 16 {
		return creditMsg{}, errors.New("malformed credit")
	}
	return creditMsg{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, nil
}

// Results carried by msgDone.
const (
	resOK uint8 = iota
	resPoisoned
	resRetired
	resCancelled
	resFailed   // followed by the error's text
	resNotReady // a try (flagTry) found nothing to match now, and changed nothing
	resLinkLost // the operation depended on another link of the home's, lost; followed by text
)

// frame is one decoded frame. payload aliases the reader's buffer only until the next read.
type frame struct {
	typ, flags uint8
	end        uint32
	op         uint64
	payload    []byte
}

var (
	errFrameTooBig   = errors.New("frame exceeds the maximum size")
	errFrameTooSmall = errors.New("frame shorter than its header")
	errFrameType     = errors.New("unknown frame type")
)

// appendFrame appends f's encoding to dst.
func appendFrame(dst []byte, typ, flags uint8, end uint32, op uint64, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(minFrameBody+len(payload)))
	dst = append(dst, typ, flags)
	dst = binary.BigEndian.AppendUint32(dst, end)
	dst = binary.BigEndian.AppendUint64(dst, op)
	return append(dst, payload...)
}

// readFrame reads one frame of at most max bytes. buf is reused for the payload when big enough.
func readFrame(r *bufio.Reader, max int, buf []byte) (frame, []byte, error) {
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, buf, err
	}
	f, n, err := parseHeader(hdr[:], max)
	if err != nil {
		return frame{}, buf, err
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	f.payload = buf[:n]
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return frame{}, buf, err
	}
	return f, buf, nil
}

// parseHeader checks a frame header and returns it with its payload length.
func parseHeader(hdr []byte, max int) (frame, int, error) {
	if len(hdr) < headerLen {
		return frame{}, 0, errFrameTooSmall
	}
	body := binary.BigEndian.Uint32(hdr)
	if body < minFrameBody {
		return frame{}, 0, errFrameTooSmall
	}
	if uint64(body)+lenFieldLen > uint64(max) {
		return frame{}, 0, fmt.Errorf("%w: %d bytes, at most %d", errFrameTooBig, uint64(body)+lenFieldLen, max)
	}
	f := frame{typ: hdr[4], flags: hdr[5], end: binary.BigEndian.Uint32(hdr[6:]), op: binary.BigEndian.Uint64(hdr[10:])}
	if f.typ == 0 || f.typ >= msgLast {
		return frame{}, 0, fmt.Errorf("%w %d", errFrameType, f.typ)
	}
	return f, int(body) - minFrameBody, nil
}

// decodeFrame decodes one whole frame from b (for the fuzz target and tests); it returns the bytes
// that follow it.
func decodeFrame(b []byte, max int) (frame, []byte, error) {
	f, n, err := parseHeader(b, max)
	if err != nil {
		return frame{}, nil, err
	}
	if len(b)-headerLen < n {
		return frame{}, nil, io.ErrUnexpectedEOF
	}
	f.payload = b[headerLen : headerLen+n]
	return f, b[headerLen+n:], nil
}

// openReq is msgOpen's payload: which channel, from which side, carrying what, through which codec.
type openReq struct {
	dir    uint8 // 1 read, 2 write (csp.Dir)
	name   string
	typ    string
	codec  string
	credit bool // msgOpen's flagCredit, not in the payload
}

const maxField = 1024 // a name, type or codec name longer than this is refused

func (o openReq) append(dst []byte) []byte {
	dst = append(dst, o.dir)
	for _, s := range []string{o.name, o.typ, o.codec} {
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

var errBadOpen = errors.New("malformed open request")

func parseOpen(b []byte) (openReq, error) {
	var o openReq
	if len(b) < 1 {
		return o, errBadOpen
	}
	o.dir, b = b[0], b[1:]
	if o.dir != 1 && o.dir != 2 {
		return o, fmt.Errorf("%w: direction %d", errBadOpen, o.dir)
	}
	var fields [3]string
	for i := range fields {
		if len(b) < 2 {
			return o, errBadOpen
		}
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n > maxField || len(b) < n {
			return o, errBadOpen
		}
		fields[i], b = string(b[:n]), b[n:]
	}
	if len(b) != 0 {
		return o, fmt.Errorf("%w: %d trailing bytes", errBadOpen, len(b))
	}
	o.name, o.typ, o.codec = fields[0], fields[1], fields[2]
	return o, nil
}
