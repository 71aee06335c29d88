// Package tamper makes the altered cookies TOKEN-6 sends: flipped bits,
// truncations, stripped or swapped signatures, and edits of a readable
// payload. Every mutation changes what the value decodes to, so a server
// that accepts one has really accepted a tampered cookie. It also makes
// TOKEN-7's hostile values (Hostile), which aim only at the spec's canary.
package tamper

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
)

// Mutation is one altered cookie value.
type Mutation struct {
	Name  string
	Value string
}

const (
	urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	stdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	hexAlphabet = "0123456789abcdef"
)

// flips is how many positions get a flipped bit.
const flips = 16

// Mutations returns the mutations of value. other is another user's cookie
// value (for swapped signatures); from and to are strings to replace in a
// readable payload (the user's email by another's).
func Mutations(value, other, from, to string) []Mutation {
	var out []Mutation
	// The other user's cookie as it is would be a valid login, not a
	// tampered one (a "signature swap" on a value with one '.' yields it).
	seen := map[string]bool{value: true, other: true}
	add := func(name, v string) {
		// A change that decodes to the same bytes (padding appended to
		// base64, the case of hex digits) hands the server the same value:
		// accepting it gives nothing.
		if !seen[v] && !SameDecoded(value, v) {
			seen[v] = true
			out = append(out, Mutation{name, v})
		}
	}
	alphabet, top := alphabetOf(value)
	if n := len(value); n > 0 {
		step := max(1, n/flips)
		for i := 0; i < n; i += step {
			if f, ok := flipAt(value, i, alphabet, top); ok {
				add("flip a bit at "+itoa(i), f)
			}
		}
		if f, ok := flipAt(value, n-1, alphabet, top); ok {
			add("flip a bit of the last character", f)
		}
		add("drop the last character", value[:n-1])
		add("drop the last 4 characters", value[:max(0, n-4)])
		add("keep the first half", value[:n/2])
		add("keep the first character", value[:1])
		add("append a character", value+"A")
		add("append padding", value+"==")
		add("repeat the value", value+value)
		add("upper-case", strings.ToUpper(value))
		add("lower-case", strings.ToLower(value))
		add("empty", "")
	}
	if i := strings.LastIndexByte(value, '.'); i > 0 {
		add("strip the signature (after the last '.')", value[:i])
		add("strip the signature, keep the '.'", value[:i+1])
		add("strip the part before the first '.'", value[strings.IndexByte(value, '.')+1:])
		if j := strings.LastIndexByte(other, '.'); j > 0 {
			add("swap in another user's signature", value[:i]+other[j:])
			add("another user's payload with this signature", other[:j]+value[i:])
		}
	}
	if other != "" && len(other) == len(value) && len(value) > 8 {
		add("another user's first half", other[:len(other)/2]+value[len(value)/2:])
	}
	if from != "" && to != "" {
		for _, m := range payloadEdits(value, from, to) {
			add(m.Name, m.Value)
		}
	}
	return out
}

// alphabetOf guesses the value's encoding alphabet; top is the bit that
// every character of that alphabet always contributes to the decoded data.
func alphabetOf(v string) (string, int) {
	if strings.Trim(v, hexAlphabet) == "" || strings.Trim(v, strings.ToUpper(hexAlphabet)) == "" {
		return hexAlphabet, 8
	}
	if strings.ContainsAny(v, "+/") {
		return stdAlphabet, 32
	}
	return urlAlphabet, 32
}

func flipAt(v string, i int, alphabet string, top int) (string, bool) {
	idx := strings.IndexByte(alphabet, v[i])
	if alphabet == hexAlphabet && idx < 0 {
		idx = strings.IndexByte(strings.ToUpper(hexAlphabet), v[i])
		alphabet = strings.ToUpper(hexAlphabet)
	}
	if idx < 0 {
		return "", false
	}
	return v[:i] + string(alphabet[idx^top]) + v[i+1:], true
}

// payloadEdits finds '.'-separated parts that decode (base64, maybe zlib)
// to text containing from, and re-encodes them with to instead, keeping
// the rest of the value (and thus its now-wrong signature).
func payloadEdits(value, from, to string) []Mutation {
	var out []Mutation
	compressed := strings.HasPrefix(value, ".")
	parts := strings.Split(strings.TrimPrefix(value, "."), ".")
	for i, p := range parts {
		for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
			raw, err := enc.DecodeString(p)
			if err != nil {
				continue
			}
			plain, zipped := raw, false
			if z, err := zlib.NewReader(bytes.NewReader(raw)); err == nil {
				if inflated, err := io.ReadAll(z); err == nil {
					plain, zipped = inflated, true
				}
			}
			if !bytes.Contains(plain, []byte(from)) {
				continue
			}
			edited := bytes.ReplaceAll(plain, []byte(from), []byte(to))
			if zipped {
				var b bytes.Buffer
				w := zlib.NewWriter(&b)
				w.Write(edited)
				w.Close()
				edited = b.Bytes()
			}
			np := append([]string(nil), parts...)
			np[i] = enc.EncodeToString(edited)
			v := strings.Join(np, ".")
			if compressed {
				v = "." + v
			}
			out = append(out, Mutation{"edit the readable payload: " + from + " -> " + to, v})
			break
		}
	}
	return out
}

// SameDecoded reports whether a and b, split at '.', decode part by part
// to the same bytes: equal text, hex digits that differ only in case, or
// base64 that differs only in padding.
func SameDecoded(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if pa[i] == pb[i] {
			continue
		}
		da, okA := decodePart(pa[i])
		db, okB := decodePart(pb[i])
		if !okA || !okB || !bytes.Equal(da, db) {
			return false
		}
	}
	return true
}

// decodePart decodes one part as hex (either case) or base64 (either
// alphabet, padded or not), as lenient decoders do.
func decodePart(p string) ([]byte, bool) {
	if len(p)%2 == 0 && p != "" && strings.Trim(strings.ToLower(p), hexAlphabet) == "" {
		if b, err := hex.DecodeString(strings.ToLower(p)); err == nil {
			return b, true
		}
	}
	t := strings.TrimRight(p, "=")
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(t); err == nil {
			return b, true
		}
	}
	return nil, false
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
