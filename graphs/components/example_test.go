package components_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/components"
)

// pipe runs src → stage → collector with csp.Parallel and prints what came out.
func pipe(values []int, stage func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process) {
	a, b := csp.NewChan[int](csp.Named("a")), csp.NewChan[int](csp.Named("b"))
	var got []int
	err := csp.Parallel(
		components.Generator("src", values, a.Writer()),
		stage(a.Reader(), b.Writer()),
		components.Collector("out", b.Reader(), &got),
	)
	fmt.Println(got, err)
}

// The CommsTime ring: Prefix puts 0 into circulation, Delta copies each value to the consumer and
// on round the ring, Successor adds one. The consumer takes five values and returns ErrPoisoned,
// so its end is poisoned and the poison shuts the ring down.
func Example() {
	a, b, c, d := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	dr := d.Reader()
	var got []int
	err := csp.Parallel(
		components.Prefix("prefix", 0, c.Reader(), a.Writer()),
		components.Delta("delta", a.Reader(), d.Writer(), b.Writer()),
		components.Successor("succ", b.Reader(), c.Writer()),
		csp.Proc("consume", func(ctx context.Context) error {
			for range 5 {
				v, err := dr.Read()
				if err != nil {
					return err
				}
				got = append(got, v)
			}
			return csp.ErrPoisoned
		}, dr),
	)
	fmt.Println(got, err)
	// Output: [0 1 2 3 4] <nil>
}

func ExampleIdentity() {
	pipe([]int{1, 2, 3}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return components.Identity("id", in, out)
	})
	// Output: [1 2 3] <nil>
}

func ExamplePrefix() {
	pipe([]int{1, 2}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return components.Prefix("prefix", 0, in, out)
	})
	// Output: [0 1 2] <nil>
}

func ExampleSuccessor() {
	pipe([]int{1, 2, 3}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return components.Successor("succ", in, out)
	})
	// Output: [2 3 4] <nil>
}

func ExampleTail() {
	pipe([]int{1, 2, 3}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return components.Tail("tail", in, out)
	})
	// Output: [2 3] <nil>
}

func ExamplePairs() {
	pipe([]int{1, 2, 3, 4}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return components.Pairs("pairs", in, out)
	})
	// Output: [3 5 7] <nil>
}

func ExampleMap() {
	pipe([]int{1, 2, 3}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return components.Map("neg", func(v int) int { return -v }, in, out)
	})
	// Output: [-1 -2 -3] <nil>
}

func ExampleFilter() {
	pipe([]int{1, 2, 3, 4}, func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
		return components.Filter("even", func(v int) bool { return v%2 == 0 }, in, out)
	})
	// Output: [2 4] <nil>
}

func ExampleFarm() {
	a, b := csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	err := csp.Parallel(
		components.Generator("src", []int{1, 2, 3, 4, 5}, a.Writer()),
		components.Farm("square", 3, func(v int) int { return v * v }, a.Reader(), b.Writer()),
		components.Collector("out", b.Reader(), &got),
	)
	slices.Sort(got) // results come in the order they are done
	fmt.Println(got, err)
	// Output: [1 4 9 16 25] <nil>
}

func ExampleDelta() {
	in, o1, o2 := csp.NewChan[string](), csp.NewChan[string](), csp.NewChan[string]()
	var g1, g2 []string
	err := csp.Parallel(
		components.Generator("src", []string{"a", "b"}, in.Writer()),
		components.Delta("delta", in.Reader(), o1.Writer(), o2.Writer()),
		components.Collector("one", o1.Reader(), &g1),
		components.Collector("two", o2.Reader(), &g2),
	)
	fmt.Println(g1, g2, err)
	// Output: [a b] [a b] <nil>
}

func ExampleDeltaPar() {
	in, o1, o2 := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	var g1, g2 []int
	err := csp.Parallel(
		components.Generator("src", []int{1, 2, 3}, in.Writer()),
		components.DeltaPar("delta", in.Reader(), o1.Writer(), o2.Writer()),
		components.Collector("one", o1.Reader(), &g1),
		components.Collector("two", o2.Reader(), &g2),
	)
	fmt.Println(g1, g2, err)
	// Output: [1 2 3] [1 2 3] <nil>
}

func ExamplePlus() {
	a, b, out := csp.NewChan[float64](), csp.NewChan[float64](), csp.NewChan[float64]()
	var got []float64
	err := csp.Parallel(
		components.Generator("a", []float64{1, 2}, a.Writer()),
		components.Generator("b", []float64{0.5, 0.25}, b.Writer()),
		components.Plus("plus", a.Reader(), b.Reader(), out.Writer()),
		components.Collector("out", out.Reader(), &got),
	)
	fmt.Println(got, err)
	// Output: [1.5 2.25] <nil>
}

func ExampleMux() {
	a, b, out := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	err := csp.Parallel(
		components.Generator("a", []int{1, 2}, a.Writer()),
		components.Generator("b", []int{10, 20}, b.Writer()),
		components.Mux("mux", []*csp.Reader[int]{a.Reader(), b.Reader()}, out.Writer()),
		components.Collector("out", out.Reader(), &got),
	)
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
	err := csp.Parallel(
		components.Generator("src", []int{1, 20, 3, 40}, in.Writer()),
		components.Demux("demux", route, in.Reader(), []*csp.Writer[int]{small.Writer(), big.Writer()}),
		components.Collector("small", small.Reader(), &s),
		components.Collector("big", big.Reader(), &b),
	)
	fmt.Println(s, b, err)
	// Output: [1 3] [20 40] <nil>
}

func ExampleGenerator() {
	out := csp.NewChan[string]()
	var got []string
	err := csp.Parallel(
		components.Generator("words", []string{"to", "be"}, out.Writer()),
		components.Collector("out", out.Reader(), &got),
	)
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
	err := csp.Parallel(
		components.GeneratorSeq("countdown", countdown, out.Writer()),
		components.Collector("out", out.Reader(), &got),
	)
	fmt.Println(got, err)
	// Output: [3 2 1] <nil>
}

func ExampleCollector() {
	out := csp.NewChan[rune]()
	var got []rune
	err := csp.Parallel(
		components.Generator("runes", []rune("csp"), out.Writer()),
		components.Collector("out", out.Reader(), &got),
	)
	fmt.Println(string(got), err)
	// Output: csp <nil>
}
