// Package viewer serves cspviz's browser view of a GoCSP network: live, by
// proxying a running network's /topology, /snapshot and /events (so the page
// is same-origin), or replayed from a recorded trace.
//
// The server lays the topology out with Graphviz and hands the page an SVG
// whose process and channel elements carry ids; the page's script recolours
// and relabels those elements as snapshots arrive. Processes and channels
// that first appear in snapshots or trace events are added to the model and
// the page fetches a fresh layout.
//
// Both servers answer the same paths, relative to where they are mounted:
//
//	/            the page (all assets embedded; no CDN)
//	/info        what is shown: {"mode":"live"|"replay", ...}
//	/topology    the topology as known so far, including discovered parts
//	/layout      {"svg": ..., "procs": {id: svgId}, "chans": {id: [svgId]}, "chanLabels": {id: svgId}}
//	/snapshot    live: the network's current snapshot
//	/events      live: the network's server-sent events, passed through
//	/frame?i=N   replay: the state after the first N events, as a snapshot
package viewer
