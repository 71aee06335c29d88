package tamper

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"strings"
	"testing"
)

func TestEveryMutationChangesTheDecodedBytes(t *testing.T) {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	value := base64.RawURLEncoding.EncodeToString(raw)
	for _, m := range Mutations(value, "", "", "") {
		if m.Value == value {
			t.Errorf("%s: value unchanged", m.Name)
		}
		if got, err := base64.RawURLEncoding.DecodeString(m.Value); err == nil && bytes.Equal(got, raw) {
			t.Errorf("%s: %q decodes to the same bytes (a lenient decoder would not notice)", m.Name, m.Value)
		}
	}
}

func TestSignatureAndPayloadMutations(t *testing.T) {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(`{"user":"john.smith@example.com"}`))
	w.Close()
	value := "." + base64.RawURLEncoding.EncodeToString(b.Bytes()) + ".ZXhwaXJ5.c2lnbmF0dXJl"
	other := ".payload.ts.b3RoZXJzaWc"
	names := map[string]string{}
	for _, m := range Mutations(value, other, "john.smith@example.com", "jane.doe@example.com") {
		names[m.Name] = m.Value
	}
	for _, want := range []string{"strip the signature (after the last '.')", "swap in another user's signature", "edit the readable payload: john.smith@example.com -> jane.doe@example.com"} {
		if _, ok := names[want]; !ok {
			t.Errorf("missing mutation %q", want)
		}
	}
	edited := names["edit the readable payload: john.smith@example.com -> jane.doe@example.com"]
	if !strings.HasSuffix(edited, ".ZXhwaXJ5.c2lnbmF0dXJl") || !strings.HasPrefix(edited, ".") {
		t.Errorf("the payload edit must keep the signature and the compression marker: %q", edited)
	}
}

func TestHexFlips(t *testing.T) {
	value := "0123456789abcdef0123456789abcdef"
	for _, m := range Mutations(value, "", "", "") {
		if strings.HasPrefix(m.Name, "flip") && strings.Trim(m.Value, hexAlphabet) != "" {
			t.Errorf("%s: flipped hex left the alphabet: %q", m.Name, m.Value)
		}
	}
}

func TestNeverTheOtherCookieItself(t *testing.T) {
	value, other := "v1.AAAABBBBCCCC", "v1.DDDDEEEEFFFF"
	for _, m := range Mutations(value, other, "", "") {
		if m.Value == other {
			t.Errorf("%s produced the other user's cookie verbatim", m.Name)
		}
	}
}

// Appending base64 padding to an itsdangerous signature decodes to the same
// bytes: Flask hands back the user's own session, which is no tampering.
// Such changes are not sent; ones that change a part's bytes still are.
func TestChangesThatDecodeTheSameAreNotTampering(t *testing.T) {
	flask := "eyJlbWFpbCI6ImpvaG4ifQ.Z1a2Yw.Xk3cJ8-4bS5mR0qfV1m6tS6T2lE"
	for _, m := range Mutations(flask, "", "", "") {
		if SameDecoded(flask, m.Value) {
			t.Errorf("%s: %q decodes like the original", m.Name, m.Value)
		}
		if m.Name == "append padding" {
			t.Errorf("padding appended to base64 is sent as tampering: %q", m.Value)
		}
	}
	hexID := "0123456789abcdef0123456789abcdef"
	for _, m := range Mutations(hexID, "", "", "") {
		if m.Name == "upper-case" {
			t.Errorf("upper-case hex digits are the same ID bytes: %q", m.Value)
		}
	}
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{flask, flask + "==", true},
		{"abcd.ef01", "ABCD.EF01", true},
		{"abcd.ef01", "abcd.ef02", false},
		{"a.b", "a.b.c", false},
		{flask, flask[:len(flask)-1], false},
	} {
		if got := SameDecoded(tc.a, tc.b); got != tc.same {
			t.Errorf("SameDecoded(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
