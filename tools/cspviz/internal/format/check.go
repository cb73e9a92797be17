package format

import "fmt"

// checkHeader rejects a document whose format is not want or whose version
// this cspviz cannot read. The message names both the format and the version,
// as docs/FORMATS.md asks.
func checkHeader(want, got string, version int) error {
	switch {
	case got == "":
		return fmt.Errorf("not a %s document: the \"format\" field is missing", want)
	case got != want:
		return fmt.Errorf("format %q is not %q", got, want)
	case version < 1:
		return fmt.Errorf("%s version %d is invalid (versions start at 1)", got, version)
	case version > Version:
		return fmt.Errorf("%s version %d is newer than version %d, the newest this cspviz reads; upgrade cspviz", got, version, Version)
	}
	return nil
}
