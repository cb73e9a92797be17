package viewer

import (
	"github.com/gocsp/gocsp/tools/cspviz/internal/render"
	"io"
	"net/http"
	"os"
	"time"
)

// Option configures a viewer or the server that serves it. Each function
// reads the options that concern it and ignores the rest, so one list of
// options can be passed along from the command line to all of them.
type Option func(*config)

type config struct {
	addr    string
	out     io.Writer
	open    bool
	layout  string
	client  *http.Client
	timeout time.Duration
	run     func() RunInfo
	nodeOf  func(processID string) string
}

// RunInfo is what a runner of the watched network (cspviz demo) tells the
// page beyond the network's own state.
type RunInfo struct {
	// Round counts the runs of a demo that repeats; the page reloads when it
	// changes, as a new round is a new network.
	Round int `json:"round"`
	// Result says in one line what the last finished round computed, and
	// ResultRound which round that was, so that the page says whose result
	// it shows.
	Result      string `json:"result,omitempty"`
	ResultRound int    `json:"resultRound,omitempty"`
	// Repeats says that a round's end is not the end: the next round
	// follows, and the page shows the round as done, not the network as ended.
	Repeats bool `json:"repeats,omitempty"`
}

func newConfig(opts []Option) config {
	c := config{
		addr:    "127.0.0.1:0",
		out:     os.Stdout,
		layout:  render.LayoutAuto,
		client:  http.DefaultClient,
		timeout: 10 * time.Second,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithAddr sets the address Serve listens on (default 127.0.0.1:0, a free
// port on the loopback interface only).
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithOutput sets where Serve prints the page's URL (default os.Stdout).
func WithOutput(w io.Writer) Option { return func(c *config) { c.out = w } }

// WithOpenBrowser makes Serve open the page in the desktop's browser.
func WithOpenBrowser(open bool) Option { return func(c *config) { c.open = open } }

// WithLayout picks the page's layout (default auto: Graphviz's dot for small
// networks, the built-in layered layout for the rest); see render.WithLayout.
func WithLayout(engine string) Option { return func(c *config) { c.layout = engine } }

// WithHTTPClient sets the client a live viewer reaches the network with.
// It must not have an overall timeout: /events streams for as long as the
// page is open.
func WithHTTPClient(cl *http.Client) Option { return func(c *config) { c.client = cl } }

// WithRequestTimeout bounds each plain request to the network (/topology,
// /snapshot); default 10s.
func WithRequestTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithRunInfo makes the live page show what f reports (see RunInfo); the page
// asks for it every two seconds.
func WithRunInfo(f func() RunInfo) Option { return func(c *config) { c.run = f } }

// WithNodeOf names the node of each process a live viewer learns of from
// snapshots only (one started at run time): f returns the node (see
// render.NodeAttr), or "" for none, and the page draws the process inside
// that node's box. A viewer of several nodes merged into one network needs
// it, as only the nodes' declared processes say which node they are on.
func WithNodeOf(f func(processID string) string) Option { return func(c *config) { c.nodeOf = f } }
