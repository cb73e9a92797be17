package viewer

import (
	"bytes"
	"encoding/xml"
	"io"
)

// svgPartSize is about how many bytes of the drawing one part holds: small
// enough that the page parses, styles and lays out one in a few milliseconds,
// so that it builds a large drawing over several frames without a long task.
const svgPartSize = 8 << 10

// splitSVG cuts a drawing into its frame, the SVG document with its drawing's
// group (the root's first <g>) emptied, and that group's content in parts of
// about partSize bytes, each a run of whole elements. The page puts the frame
// on screen at once and adds the parts a few at a time. An SVG of another
// shape comes back whole as the frame, with no parts.
func splitSVG(svg []byte, partSize int) (frame string, parts []string) {
	d := xml.NewDecoder(bytes.NewReader(svg))
	depth := 0
	var from, cut int64 = -1, -1 // where the group's content starts; where the current part starts
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return string(svg), nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 && from < 0 {
				if t.Name.Local != "g" {
					return string(svg), nil
				}
				from = d.InputOffset()
				cut = from
			}
		case xml.EndElement:
			depth--
			switch {
			case depth == 2 && from >= 0 && cut >= 0:
				// The end of one of the group's elements: a part may end here.
				if end := d.InputOffset(); end-cut >= int64(partSize) {
					parts = append(parts, string(svg[cut:end]))
					cut = end
				}
			case depth == 1 && from >= 0 && cut >= 0:
				// The group's own end: what is left is the last part.
				end := d.InputOffset() - int64(len("</g>"))
				if !bytes.HasPrefix(svg[end:], []byte("</g>")) {
					return string(svg), nil
				}
				if end > cut {
					parts = append(parts, string(svg[cut:end]))
				}
				return string(svg[:from]) + string(svg[end:]), parts
			}
		}
	}
	return string(svg), nil
}
