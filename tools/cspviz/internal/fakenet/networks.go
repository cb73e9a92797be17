package fakenet

import (
	"fmt"

	"github.com/gocsp/gocsp/graphs/format"
)

// Commstime is the classic commstime network (prefix → delta → succ →
// prefix, delta → consume) whose message counts grow by one per channel per
// tick. From tick 3 on, a process "monitor" and a channel "stats" that are not
// in the topology appear in snapshots, as processes created at run time do.
func Commstime(opts ...Option) *Network {
	top := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: "commstime",
		Processes: []format.Process{
			{ID: "p1", Name: "prefix", Kind: "Prefix", Attrs: map[string]string{"initial": "0"}},
			{ID: "p2", Name: "delta", Kind: "Delta"},
			{ID: "p3", Name: "succ", Kind: "Succ"},
			{ID: "p4", Name: "consume", Kind: "Consumer"},
		},
		Channels: []format.Channel{
			{ID: "c1", Name: "a", Type: "int"},
			{ID: "c2", Name: "b", Type: "int"},
			{ID: "c3", Name: "c", Type: "int"},
			{ID: "c4", Name: "d", Type: "int", Buffer: 4},
		},
		Ends: []format.End{
			{Process: "p1", Channel: "c1", Dir: "write", Owned: true},
			{Process: "p2", Channel: "c1", Dir: "read", Owned: true},
			{Process: "p2", Channel: "c2", Dir: "write", Owned: true},
			{Process: "p2", Channel: "c3", Dir: "write", Owned: true},
			{Process: "p4", Channel: "c2", Dir: "read", Owned: true},
			{Process: "p3", Channel: "c3", Dir: "read", Owned: true},
			{Process: "p3", Channel: "c4", Dir: "write", Owned: true},
			{Process: "p1", Channel: "c4", Dir: "read", Owned: true},
		},
	}
	states := []string{format.StateRunning, format.StateBlockedRead, format.StateBlockedWrite, format.StateAlting}
	return New(top, func(tick int) *format.Snapshot {
		s := &format.Snapshot{Running: true}
		for i, p := range top.Processes {
			st := format.ProcessState{ID: p.ID, Name: p.Name, State: states[(tick+i)%len(states)]}
			if st.State == format.StateBlockedRead || st.State == format.StateAlting {
				st.Waits = []format.Wait{{Channel: readsFrom(top, p.ID), Op: "read"}}
			}
			s.Processes = append(s.Processes, st)
		}
		for i, c := range top.Channels {
			s.Channels = append(s.Channels, format.ChannelState{ID: c.ID, Name: c.Name, Buffer: c.Buffer,
				Len: tick % (c.Buffer + 1), Messages: uint64(tick * (1000 + 7*i)), Readers: 1, Writers: 1})
		}
		if tick >= 3 {
			s.Processes = append(s.Processes, format.ProcessState{ID: "p9", Name: "monitor", State: format.StateBlockedRead,
				Waits: []format.Wait{{Channel: "c9", Op: "read"}}})
			s.Channels = append(s.Channels, format.ChannelState{ID: "c9", Name: "stats", Messages: uint64(tick - 3), Readers: 1})
		}
		return s
	}, opts...)
}

func readsFrom(top *format.Topology, proc string) string {
	for _, e := range top.Ends {
		if e.Process == proc && e.Dir == format.DirRead {
			return e.Channel
		}
	}
	return ""
}

// Philosophers is n dining philosophers that each picked up their left fork
// and now wait for their right one: philosopher-i writes right-i, which fork
// i+1 would read, but fork i+1 waits to read left-(i+1) from the philosopher
// holding it. The whole ring is one deadlock cycle from the first snapshot.
func Philosophers(n int, opts ...Option) *Network {
	top := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: "philosophers"}
	phil := func(i int) string { return fmt.Sprintf("phil%d", i) }
	fork := func(i int) string { return fmt.Sprintf("fork%d", i) }
	left := func(i int) string { return fmt.Sprintf("left%d", i) }
	right := func(i int) string { return fmt.Sprintf("right%d", i) }
	for i := range n {
		top.Processes = append(top.Processes, format.Process{ID: phil(i), Name: fmt.Sprintf("philosopher-%d", i), Kind: "Philosopher"})
	}
	for i := range n {
		top.Processes = append(top.Processes, format.Process{ID: fork(i), Name: fmt.Sprintf("fork-%d", i), Kind: "Fork"})
	}
	for i := range n {
		top.Channels = append(top.Channels,
			format.Channel{ID: left(i), Name: fmt.Sprintf("left-%d", i), Type: "bool"},
			format.Channel{ID: right(i), Name: fmt.Sprintf("right-%d", i), Type: "bool"})
		top.Ends = append(top.Ends,
			format.End{Process: phil(i), Channel: left(i), Dir: "write", Owned: true},
			format.End{Process: fork(i), Channel: left(i), Dir: "read", Owned: true},
			format.End{Process: phil(i), Channel: right(i), Dir: "write", Owned: true},
			format.End{Process: fork((i + 1) % n), Channel: right(i), Dir: "read", Owned: true})
	}
	var cycle []format.Step
	msg := "deadlock:"
	for i := range n {
		j := (i + 1) % n
		cycle = append(cycle,
			format.Step{Process: phil(i), Op: "write", Channel: right(i)},
			format.Step{Process: fork(j), Op: "read", Channel: left(j)})
		msg += fmt.Sprintf(" philosopher-%d writes right-%d → fork-%d reads left-%d ←", i, i, j, j)
	}
	msg += " philosopher-0 …"
	return New(top, func(int) *format.Snapshot {
		s := &format.Snapshot{Running: false, Deadlock: &format.Deadlock{Message: msg, Cycles: [][]format.Step{cycle}}}
		for i := range n {
			s.Processes = append(s.Processes, format.ProcessState{ID: phil(i), Name: fmt.Sprintf("philosopher-%d", i),
				State: format.StateBlockedWrite, Waits: []format.Wait{{Channel: right(i), Op: "write"}}})
		}
		for i := range n {
			s.Processes = append(s.Processes, format.ProcessState{ID: fork(i), Name: fmt.Sprintf("fork-%d", i),
				State: format.StateBlockedRead, Waits: []format.Wait{{Channel: left(i), Op: "read"}}})
		}
		for i := range n {
			s.Channels = append(s.Channels,
				format.ChannelState{ID: left(i), Name: fmt.Sprintf("left-%d", i), Messages: 1, Readers: 1, Writers: 1},
				format.ChannelState{ID: right(i), Name: fmt.Sprintf("right-%d", i), Readers: 1, Writers: 1})
		}
		return s
	}, opts...)
}

// Dispatcher is one node's view of a distributed network: a dispatcher writing jobs to two other
// nodes and reading results from the first; the link to the second node is lost from tick 3 on.
func Dispatcher(opts ...Option) *Network {
	top := &format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: "dispatcher",
		Processes: []format.Process{{ID: "p1", Name: "dispatcher"}},
		Channels: []format.Channel{
			{ID: "c1", Name: "10.0.0.7:7000/jobs", Type: "main.Job", Remote: "10.0.0.7:7000"},
			{ID: "c2", Name: "10.0.0.7:7000/results", Type: "main.Result", Remote: "10.0.0.7:7000"},
			{ID: "c3", Name: "10.0.0.8:7000/jobs", Type: "main.Job", Remote: "10.0.0.8:7000"},
		},
		Ends: []format.End{
			{Process: "p1", Channel: "c1", Dir: "write", Owned: true},
			{Process: "p1", Channel: "c2", Dir: "read", Owned: true},
			{Process: "p1", Channel: "c3", Dir: "write", Owned: true},
		},
	}
	return New(top, func(tick int) *format.Snapshot {
		s := &format.Snapshot{Running: true, Processes: []format.ProcessState{{ID: "p1", Name: "dispatcher", State: format.StateAlting}}}
		for _, c := range top.Channels {
			link := format.LinkUp
			if c.Remote == "10.0.0.8:7000" && tick >= 3 {
				link = format.LinkLost
			}
			s.Channels = append(s.Channels, format.ChannelState{ID: c.ID, Name: c.Name, Messages: uint64(tick),
				Readers: 1, Writers: 1, Link: link})
		}
		return s
	}, opts...)
}
