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
