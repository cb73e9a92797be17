package gpu

import "github.com/gocsp/gocsp/csp"

// gatherer reads a process's batches: it waits for one vector, then takes the vectors that are
// ready at once, up to the batch size, and never waits for more. So a batch never holds back
// work that is already read (a process that sends a vector and waits for its result before
// sending the next gets it, whatever the batch size), and a busy stream still fills batches.
type gatherer[T any] struct {
	in   *csp.Reader[T]
	recv *csp.RecvGuard[T]
	skip *csp.SkipGuard
	max  int
}

func newGatherer[T any](in *csp.Reader[T], max int) *gatherer[T] {
	return &gatherer[T]{in: in, recv: csp.Recv(in), skip: csp.Skip(), max: max}
}

// next appends a batch to batch[:0] and returns it, with the error that ended it early (the
// input retired or poisoned), if any: the caller processes the batch first, then handles it.
func (g *gatherer[T]) next(batch []T) ([]T, error) {
	batch = batch[:0]
	v, err := g.in.Read()
	if err != nil {
		return batch, err
	}
	batch = append(batch, v)
	for len(batch) < g.max {
		i, err := csp.PriSelect(g.recv, g.skip)
		if err != nil {
			return batch, err
		}
		if i == 1 {
			break // nothing more ready
		}
		batch = append(batch, g.recv.Value())
	}
	return batch, nil
}
