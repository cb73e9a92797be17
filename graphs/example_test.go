package graphs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
)

// pipe runs src → stage → collector and prints what came out.
func pipe(values []int, stage func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process) {
	a, b := csp.NewChan[int](csp.Named("a")), csp.NewChan[int](csp.Named("b"))
	var got []int
	err := graphs.New("pipe").Add(
		graphs.Generator("src", values, a.Writer()),
		stage(a.Reader(), b.Writer()),
		graphs.Collector("out", b.Reader(), &got),
	).Run(context.Background())
	fmt.Println(got, err)
}

func ExampleNew() {
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	var got []int
	net := graphs.New("squares").Add(
		graphs.Generator("numbers", []int{1, 2, 3}, in.Writer()),
		graphs.Map("square", func(v int) int { return v * v }, in.Reader(), out.Writer()),
		graphs.Collector("collect", out.Reader(), &got),
	)
	_ = net.Topology().WriteJSON(os.Stdout) // known before the network runs
	err := net.Run(context.Background())
	fmt.Println(got, err)
	// Output:
	// {
	//   "format": "gocsp-topology",
	//   "version": 1,
	//   "name": "squares",
	//   "processes": [
	//     {
	//       "id": "p1",
	//       "name": "numbers",
	//       "kind": "Generator"
	//     },
	//     {
	//       "id": "p2",
	//       "name": "square",
	//       "kind": "Map"
	//     },
	//     {
	//       "id": "p3",
	//       "name": "collect",
	//       "kind": "Collector"
	//     }
	//   ],
	//   "channels": [
	//     {
	//       "id": "c1",
	//       "name": "in",
	//       "type": "int",
	//       "buffer": 0
	//     },
	//     {
	//       "id": "c2",
	//       "name": "out",
	//       "type": "int",
	//       "buffer": 0
	//     }
	//   ],
	//   "ends": [
	//     {
	//       "process": "p1",
	//       "channel": "c1",
	//       "dir": "write",
	//       "owned": true
	//     },
	//     {
	//       "process": "p2",
	//       "channel": "c1",
	//       "dir": "read",
	//       "owned": true
	//     },
	//     {
	//       "process": "p2",
	//       "channel": "c2",
	//       "dir": "write",
	//       "owned": true
	//     },
	//     {
	//       "process": "p3",
	//       "channel": "c2",
	//       "dir": "read",
	//       "owned": true
	//     }
	//   ]
	// }
	// [1 4 9] <nil>
}

func ExampleDeadlockError() {
	x, y := csp.NewChan[int](csp.Named("x")), csp.NewChan[int](csp.Named("y"))
	xr, xw, yr, yw := x.Reader(), x.Writer(), y.Reader(), y.Writer()
	err := graphs.New("cross").Add(
		csp.Proc("a", func(ctx context.Context) error {
			if _, err := xr.Read(); err != nil {
				return err
			}
			return yw.Write(1)
		}, xr, yw),
		csp.Proc("b", func(ctx context.Context) error {
			if _, err := yr.Read(); err != nil {
				return err
			}
			return xw.Write(1)
		}, yr, xw),
	).Run(context.Background())
	var de *graphs.DeadlockError
	fmt.Println(errors.As(err, &de))
	fmt.Println(err)
	// Output:
	// true
	// deadlock: a reads x ← b reads y ← a
}

func ExampleIdentity() {
	pipe([]int{1, 2, 3}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return graphs.Identity("id", in, out)
	})
	// Output: [1 2 3] <nil>
}

func ExamplePrefix() {
	pipe([]int{1, 2}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return graphs.Prefix("prefix", 0, in, out)
	})
	// Output: [0 1 2] <nil>
}

func ExampleSuccessor() {
	pipe([]int{1, 2, 3}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return graphs.Successor("succ", in, out)
	})
	// Output: [2 3 4] <nil>
}

func ExampleTail() {
	pipe([]int{1, 2, 3}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return graphs.Tail("tail", in, out)
	})
	// Output: [2 3] <nil>
}

func ExamplePairs() {
	pipe([]int{1, 2, 3, 4}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return graphs.Pairs("pairs", in, out)
	})
	// Output: [3 5 7] <nil>
}

func ExampleMap() {
	pipe([]int{1, 2, 3}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return graphs.Map("neg", func(v int) int { return -v }, in, out)
	})
	// Output: [-1 -2 -3] <nil>
}

func ExampleFilter() {
	pipe([]int{1, 2, 3, 4}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return graphs.Filter("even", func(v int) bool { return v%2 == 0 }, in, out)
	})
	// Output: [2 4] <nil>
}

func ExampleFarm() {
	a, b := csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	err := graphs.New("farm").Add(
		graphs.Generator("src", []int{1, 2, 3, 4, 5}, a.Writer()),
		graphs.Farm("square", 3, func(v int) int { return v * v }, a.Reader(), b.Writer()),
		graphs.Collector("out", b.Reader(), &got),
	).Run(context.Background())
	slices.Sort(got) // results come in the order they are done
	fmt.Println(got, err)
	// Output: [1 4 9 16 25] <nil>
}

func ExampleDelta() {
	in, o1, o2 := csp.NewChan[string](), csp.NewChan[string](), csp.NewChan[string]()
	var g1, g2 []string
	err := graphs.New("delta").Add(
		graphs.Generator("src", []string{"a", "b"}, in.Writer()),
		graphs.Delta("delta", in.Reader(), o1.Writer(), o2.Writer()),
		graphs.Collector("one", o1.Reader(), &g1),
		graphs.Collector("two", o2.Reader(), &g2),
	).Run(context.Background())
	fmt.Println(g1, g2, err)
	// Output: [a b] [a b] <nil>
}

func ExamplePlus() {
	a, b, out := csp.NewChan[float64](), csp.NewChan[float64](), csp.NewChan[float64]()
	var got []float64
	err := graphs.New("plus").Add(
		graphs.Generator("a", []float64{1, 2}, a.Writer()),
		graphs.Generator("b", []float64{0.5, 0.25}, b.Writer()),
		graphs.Plus("plus", a.Reader(), b.Reader(), out.Writer()),
		graphs.Collector("out", out.Reader(), &got),
	).Run(context.Background())
	fmt.Println(got, err)
	// Output: [1.5 2.25] <nil>
}

func ExampleMux() {
	a, b, out := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	err := graphs.New("mux").Add(
		graphs.Generator("a", []int{1, 2}, a.Writer()),
		graphs.Generator("b", []int{10, 20}, b.Writer()),
		graphs.Mux("mux", []*csp.Reader[int]{a.Reader(), b.Reader()}, out.Writer()),
		graphs.Collector("out", out.Reader(), &got),
	).Run(context.Background())
	slices.Sort(got) // merged in arrival order
	fmt.Println(got, err)
	// Output: [1 2 10 20] <nil>
}

func ExampleDemux() {
	in, small, big := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	var s, b []int
	route := func(v int) int {
		if v < 10 {
			return 0
		}
		return 1
	}
	err := graphs.New("demux").Add(
		graphs.Generator("src", []int{1, 20, 3, 40}, in.Writer()),
		graphs.Demux("demux", route, in.Reader(), []*csp.Writer[int]{small.Writer(), big.Writer()}),
		graphs.Collector("small", small.Reader(), &s),
		graphs.Collector("big", big.Reader(), &b),
	).Run(context.Background())
	fmt.Println(s, b, err)
	// Output: [1 3] [20 40] <nil>
}

func ExampleGenerator() {
	out := csp.NewChan[string]()
	var got []string
	err := graphs.New("gen").Add(
		graphs.Generator("words", []string{"to", "be"}, out.Writer()),
		graphs.Collector("out", out.Reader(), &got),
	).Run(context.Background())
	fmt.Println(got, err)
	// Output: [to be] <nil>
}

func ExampleGeneratorSeq() {
	out := csp.NewChan[int]()
	var got []int
	countdown := func(yield func(int) bool) {
		for i := 3; i > 0; i-- {
			if !yield(i) {
				return
			}
		}
	}
	err := graphs.New("seq").Add(
		graphs.GeneratorSeq("countdown", countdown, out.Writer()),
		graphs.Collector("out", out.Reader(), &got),
	).Run(context.Background())
	fmt.Println(got, err)
	// Output: [3 2 1] <nil>
}

func ExampleCollector() {
	out := csp.NewChan[rune]()
	var got []rune
	err := graphs.New("collect").Add(
		graphs.Generator("runes", []rune("csp"), out.Writer()),
		graphs.Collector("out", out.Reader(), &got),
	).Run(context.Background())
	fmt.Println(string(got), err)
	// Output: csp <nil>
}
