package net

import "fmt"

// LinkLostPolicy says what the ends a lost peer had opened on an exported channel do at its home
// (OnLinkLost). A link is lost when its peer closed without retiring them, or died or stayed silent
// past the heartbeat bound and did not come back within the reconnection window
// (WithReconnectWindow).
type LinkLostPolicy uint8

const (
	// LeaveOnLinkLost retires the lost peer's ends one by one, as if their processes had ended
	// normally: the channel goes on with its other ends, no buffered value is discarded, and when
	// the lost ends were the channel's last readers (or writers) the others see ErrRetired under
	// package csp's rules. It is the default: an exported channel is a service that any peer
	// allowed to connect may use, and a peer that leaves, crashes or is cut off must not end it
	// for every other user (with PoisonOnLinkLost, any client could take a shared channel down for
	// good by disconnecting). The failure is still reported where it happened: the lost peer's own
	// operations return ErrLinkLost, and its processes poison their local ends.
	LeaveOnLinkLost LinkLostPolicy = iota
	// PoisonOnLinkLost poisons the channel through the lost peer's ends, as the failure of the
	// unreachable processes behind them would have (package csp's ownership rule): every process
	// on the channel, on every node, sees ErrPoisoned, and a lost reader's poison discards the
	// buffer, as a local reader's poison does. An end the peer retired before the loss is not
	// poisoned. Choose it for a network whose processes are spread over nodes and must all stop
	// when one of them is lost (a pipeline whose partial result must not pass for a whole one).
	PoisonOnLinkLost
)

func (p LinkLostPolicy) String() string {
	switch p {
	case LeaveOnLinkLost:
		return "leave"
	case PoisonOnLinkLost:
		return "poison"
	}
	return fmt.Sprintf("LinkLostPolicy(%d)", uint8(p))
}

// OnLinkLost sets what an exported channel does with the ends of a peer whose link is lost
// (LeaveOnLinkLost by default). It is an option of Export; ends opened with OpenReader and
// OpenWriter ignore it.
func OnLinkLost(p LinkLostPolicy) ExportOption {
	if p != LeaveOnLinkLost && p != PoisonOnLinkLost {
		panic(fmt.Sprintf("net: OnLinkLost(%d): no such policy", uint8(p)))
	}
	return func(o *endOptions) { o.lost = p }
}
