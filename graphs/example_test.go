package graphs_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/graphs/components"
)

func ExampleNew() {
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	var got []int
	net := graphs.New("squares").Add(
		components.Generator("numbers", []int{1, 2, 3}, in.Writer()),
		components.Map("square", func(v int) int { return v * v }, in.Reader(), out.Writer()),
		components.Collector("collect", out.Reader(), &got),
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
	// graphs: deadlock: a reads x ← b reads y ← a
}
