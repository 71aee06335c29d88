package inspect

import (
	"bytes"
	"regexp"
)

// phpSession matches PHP's session encoding ("name|s:4:\"john\";") and
// serialize() output ("a:2:{", "O:8:\"stdClass\"").
var phpSession = regexp.MustCompile(`^([A-Za-z0-9_]+\|)?[aOCsibd]:[0-9]+[:;{]`)

// NativeSerialization names the language-native object serialisation data
// is in ("python pickle", "java serialization", ...) or returns "" for
// data-only formats (JSON, msgpack, plain text). It looks at the start of
// the record and after the 4-byte expiry header cachelib puts in front of
// its pickles.
func NativeSerialization(data []byte) string {
	for _, off := range []int{0, 4} {
		if len(data) <= off {
			continue
		}
		if name := native(data[off:]); name != "" {
			return name
		}
	}
	return ""
}

func native(d []byte) string {
	switch {
	case len(d) >= 2 && d[0] == 0x80 && d[1] >= 2 && d[1] <= 5:
		return "python pickle (protocol " + string('0'+rune(d[1])) + ")"
	case bytes.HasPrefix(d, []byte("(dp")) || bytes.HasPrefix(d, []byte("ccopy_reg")) || (bytes.HasSuffix(d, []byte(".")) && bytes.Contains(d, []byte("\np0\n"))):
		return "python pickle (protocol 0)"
	case bytes.HasPrefix(d, []byte{0xac, 0xed, 0x00, 0x05}):
		return "java serialization"
	case len(d) >= 2 && d[0] == 0x04 && d[1] == 0x08:
		return "ruby marshal"
	case bytes.HasPrefix(d, []byte{0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff}):
		return ".NET BinaryFormatter"
	case phpSession.Match(d):
		return "PHP serialize"
	}
	return ""
}
