// Package render turns a topology into Graphviz DOT text and lays it out as SVG
// with go-graphviz (Graphviz compiled to WebAssembly, so no system Graphviz is
// needed).
//
// Processes are boxes labelled with their name and, when known, their kind. A
// channel with exactly one writer end and one reader end is an edge labelled
// with its name; any other channel (several readers or writers, or an end
// missing) is a small channel node with an edge from each writer and to each
// reader, so that all its ends stay visible. A buffered channel's label shows
// its size, as in "jobs [8]".
//
// Every process and channel element carries an SVG id and class so that the
// live viewer can restyle it; Graph maps topology ids to those SVG ids.
package render
