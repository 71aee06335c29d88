package inspect

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"io"
	"net/url"
	"strings"
)

// Decodings returns what a curious user gets from a cookie value by the
// usual means: the value itself, URL-unescaped, and every base64 variant
// of it and of each of its '.'-separated parts, inflated with zlib when that
// works (itsdangerous compresses with a leading '.'). The opacity check
// (TOKEN-9) searches them all for user data.
func Decodings(value string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(value)
	if u, err := url.QueryUnescape(value); err == nil {
		add(u)
	}
	parts := append([]string{value}, strings.Split(strings.TrimPrefix(value, "."), ".")...)
	for _, p := range parts {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			raw, err := enc.DecodeString(p)
			if err != nil {
				continue
			}
			add(string(raw))
			if z, err := zlib.NewReader(bytes.NewReader(raw)); err == nil {
				if inflated, err := io.ReadAll(io.LimitReader(z, 1<<20)); err == nil {
					add(string(inflated))
				}
			}
		}
	}
	return out
}
