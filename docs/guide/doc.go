// Package guide is the GoCSP guide's home in the module: the guide is the Markdown files beside
// this one, and this package's test compiles every Go block in them (and runs those followed by an
// output block), so that the guide cannot drift from the API.
package guide
