package session_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/session"
)

const testSecret = "0123456789abcdef0123456789abcdef-test-only"

func newSealer(t testing.TB, secret string) *session.AESGCM {
	t.Helper()
	s, err := session.NewAESGCM([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// records of several sizes, so that the sealed bytes cover every length
// modulo 3 (base64's unused trailing bits).
func sizedRecords() [][]byte {
	var out [][]byte
	for _, e := range []string{"a@b.c", "ab@b.c", "abc@b.c", email, "jane.doe@example.com"} {
		r := testRecord(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
		r.Email = e
		data, _ := r.Encode()
		out = append(out, data)
	}
	return out
}

func TestAESGCMRoundTripAndOpacity(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testSecret)
	lens := map[int]bool{}
	for _, plain := range sizedRecords() {
		v, err := s.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Open(v)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open(Seal(p)) = %q, %v", got, err)
		}
		v2, _ := s.Seal(plain)
		if v2 == v {
			t.Error("two seals of one record are equal: the nonce is not fresh")
		}
		if !strings.HasPrefix(v, "v1.") {
			t.Errorf("sealed value %q lacks the version prefix", v)
		}
		lens[(len(v)-3)%4] = true
		// Opaque: the email shows in no decoding of the value.
		var r session.Record
		if err := json.Unmarshal(plain, &r); err != nil {
			t.Fatal(err)
		}
		for _, view := range decodings(v) {
			if bytes.Contains(view, []byte(r.Email)) || bytes.Contains(view, []byte("email")) || bytes.Contains(view, []byte("deadline")) {
				t.Errorf("sealed value reveals the record: %q", view)
			}
		}
	}
	if len(lens) < 3 {
		t.Errorf("test records cover only %d base64 tail lengths", len(lens))
	}
}

// decodings returns every reading of v an onlooker might try.
func decodings(v string) [][]byte {
	out := [][]byte{[]byte(v)}
	body := strings.TrimPrefix(v, "v1.")
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		for _, s := range []string{v, body, body + "=", body + "=="} {
			if b, err := enc.DecodeString(s); err == nil {
				out = append(out, b)
			}
		}
	}
	if b, err := hex.DecodeString(body); err == nil {
		out = append(out, b)
	}
	return out
}

// Any change to a sealed value, however small, makes it worthless: every
// single-character substitution, insertion of any byte, deletion and
// truncation, and every bit flip of the decoded bytes.
func TestAESGCMRefusesEveryModification(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testSecret)
	alphabet := tokenAlphabet + "+/=.~ \t\r\n\x00\x7f\xff"
	for _, plain := range sizedRecords() {
		v, err := s.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		refuse := func(what, m string) {
			t.Helper()
			if m == v {
				return
			}
			if got, err := s.Open(m); err != session.ErrNoSession {
				t.Fatalf("%s: Open(%q) = %q, %v; want ErrNoSession (original %q)", what, m, got, err, v)
			}
		}
		for i := 0; i < len(v); i++ {
			for _, c := range []byte(alphabet) {
				refuse("substitution", v[:i]+string(c)+v[i+1:])
			}
			refuse("truncation", v[:i])
			refuse("deletion", v[:i]+v[i+1:])
		}
		for i := 0; i <= len(v); i++ {
			for _, c := range []string{"\n", "\r", "\r\n", "=", "A", " "} {
				refuse("insertion", v[:i]+c+v[i:])
			}
		}
		refuse("padding", v+"=")
		refuse("padding", v+"==")
		refuse("prefix stripped", strings.TrimPrefix(v, "v1."))
		refuse("other version", "v2."+strings.TrimPrefix(v, "v1."))
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v, "v1."))
		if err != nil {
			t.Fatal(err)
		}
		for i := range raw {
			for bit := range 8 {
				flipped := bytes.Clone(raw)
				flipped[i] ^= 1 << bit
				refuse("bit flip", "v1."+base64.RawURLEncoding.EncodeToString(flipped))
			}
		}
		refuse("tag stripped", "v1."+base64.RawURLEncoding.EncodeToString(raw[:len(raw)-16]))
		refuse("padded base64", "v1."+base64.URLEncoding.EncodeToString(raw))
		refuse("standard base64", "v1."+base64.RawStdEncoding.EncodeToString(raw))
	}
}

func TestAESGCMKeys(t *testing.T) {
	t.Parallel()
	if _, err := session.NewAESGCM(nil); err == nil {
		t.Error("NewAESGCM accepted an empty secret")
	}
	v, err := newSealer(t, testSecret).Seal([]byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newSealer(t, testSecret+"x").Open(v); err != session.ErrNoSession {
		t.Errorf("a value sealed with another key opened: %v", err)
	}
	if _, err := newSealer(t, testSecret).Open(v); err != nil {
		t.Errorf("the same secret in a new sealer (a restart) cannot open the value: %v", err)
	}
}

func TestAESGCMSizeLimit(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testSecret)
	if _, err := s.Seal(bytes.Repeat([]byte("a"), 4096)); err == nil {
		t.Error("Seal made a cookie value over 4 KiB")
	}
	for _, n := range []int{3800, 3801, 8192, 1 << 16} {
		if _, err := s.Open("v1." + strings.Repeat("A", n)); err != session.ErrNoSession {
			t.Errorf("Open of %d bytes = %v, want ErrNoSession", n, err)
		}
	}
}

func TestCookieBackend(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testSecret)
	b := &session.CookieBackend{Sealer: s}
	rec := testRecord(time.Now())
	tok, err := b.Create(t.Context(), rec, rec.Deadline)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Open(t.Context(), tok)
	if err != nil || got.Email != email || !got.Deadline.Equal(rec.Deadline) {
		t.Fatalf("Open(Create(r)) = %+v, %v", got, err)
	}
	for _, view := range decodings(tok) {
		if bytes.Contains(view, []byte(email)) || bytes.Contains(view, []byte("john")) {
			t.Fatalf("the cookie shows the email: %q", view)
		}
	}
	rec.LastSeen = rec.LastSeen.Add(time.Minute)
	tok2, err := b.Update(t.Context(), tok, rec, rec.Deadline)
	if err != nil || tok2 == tok {
		t.Fatalf("Update = %q, %v; want a new sealed value", tok2, err)
	}
	if got, err := b.Open(t.Context(), tok2); err != nil || !got.LastSeen.Equal(rec.LastSeen) {
		t.Fatalf("Open after Update = %+v, %v", got, err)
	}

	// Sealed with the right key but not a record: refused.
	for _, plain := range []string{`{}`, `null`, `{"v":1}`, "not json"} {
		v, err := s.Seal([]byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Open(t.Context(), v); err != session.ErrNoSession {
			t.Errorf("Open of sealed %q = %v, want ErrNoSession", plain, err)
		}
	}
	// Server-mode tokens and garbage: refused.
	srvTok, _ := session.RandomTokens{}.NewToken()
	for _, v := range []string{"", srvTok, "../../etc/passwd", "v1.", "v1.AAAA", tok[:len(tok)-1]} {
		if _, err := b.Open(t.Context(), v); err != session.ErrNoSession {
			t.Errorf("Open(%q) = %v, want ErrNoSession", v, err)
		}
	}
	if err := b.Destroy(t.Context(), tok); err != nil {
		t.Error(err)
	}
	if err := b.Ping(t.Context()); err != nil {
		t.Error(err)
	}
}
