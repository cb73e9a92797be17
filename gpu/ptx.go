package gpu

import (
	"embed"
	"io/fs"
)

// The kernels' PTX, one module per file, named after its .entry. Hand-written for PTX ISA 6.0
// and sm_52 so that the driver JIT-compiles it for any newer GPU; TestPTXAssembles checks each
// file with ptxas for sm_52 and sm_90.
//
//go:embed ptx/*.ptx
var ptxFiles embed.FS

// PTX returns the embedded PTX sources, one file per kernel entry (e.g. "saxpy.ptx").
func PTX() fs.FS {
	sub, err := fs.Sub(ptxFiles, "ptx")
	if err != nil {
		panic(err) // the directory is embedded, so this cannot happen
	}
	return sub
}

// ptxSource returns the module that holds entry.
func ptxSource(entry string) (string, error) {
	b, err := ptxFiles.ReadFile("ptx/" + entry + ".ptx")
	return string(b), err
}
