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
