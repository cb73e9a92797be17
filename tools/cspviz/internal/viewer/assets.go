package viewer

import (
	"embed"
	"io/fs"
)

// assetFS holds the page: HTML, script and style, embedded so that cspviz
// works offline and needs nothing but its own binary.
//
//go:embed assets
var assetFS embed.FS

func assets() fs.FS {
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err) // the directory is embedded above; this cannot happen
	}
	return sub
}
