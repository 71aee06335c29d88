package session_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/session"
	"github.com/sessionconf/sessionconf/reference/store"
)

// Fuzz targets for everything that decodes what a client sends. `go test`
// runs them on their seeds; `make fuzz` mutates them for a few seconds each.

// hostileCookies are the values the requirement catalog names: path
// traversal, NUL, CR/LF, 8 KiB, non-UTF-8, and near-misses of real values.
// The paths lead to the victim FuzzServerToken plants or to nowhere, never
// to a file of the machine (a regression run as root would delete it).
func hostileCookies() []string {
	return []string{
		"", "../victim", "../../../../../../../../../../../../nonexistent-sessionconf/victim", "/nonexistent-sessionconf/victim", "..%2F..%2Fvictim", "a\x00b",
		strings.Repeat("a", 42) + "\x00", "x\r\nSet-Cookie: admin=1", strings.Repeat("A", 8192),
		"\xff\xfe\xfd", "v1.", "v1." + strings.Repeat("A", 8192), "v1.====", "null", "{}",
		strings.Repeat("/", 43), strings.Repeat(".", 43),
	}
}

// FuzzSealedCookie: opening a cookie-mode value never panics, and only a
// value we sealed, spelt exactly as we spelt it, opens.
func FuzzSealedCookie(f *testing.F) {
	s := newSealer(f, testSecret)
	b := &session.CookieBackend{Sealer: s}
	known := map[string]bool{}
	for _, plain := range sizedRecords() {
		known[string(plain)] = true
		v, err := s.Seal(plain)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
		f.Add(v[:len(v)-1])
		f.Add("v1.\n" + v[3:])
	}
	for _, v := range hostileCookies() {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		plain, err := s.Open(v)
		rec, berr := b.Open(context.Background(), v)
		if err != nil {
			if err != session.ErrNoSession || berr != session.ErrNoSession {
				t.Fatalf("refusal is not ErrNoSession: %v / %v", err, berr)
			}
			return
		}
		if !known[string(plain)] {
			t.Fatalf("Open(%q) produced a plaintext nobody sealed: %q", v, plain)
		}
		if berr != nil || rec.Email == "" {
			t.Fatalf("a sealed record did not open as a session: %v", berr)
		}
		body := strings.TrimPrefix(v, "v1.")
		raw, _ := base64.RawURLEncoding.DecodeString(body) // lenient, to see the bytes
		if canonical := "v1." + base64.RawURLEncoding.EncodeToString(raw); canonical != v {
			t.Fatalf("a modified spelling opened: %q (canonical %q)", v, canonical)
		}
	})
}

// issuedToken is the one token FuzzServerToken's store knows. It is fixed,
// not random, so that every fuzz worker process agrees on it.
var issuedToken = strings.Repeat("Ab3_-", 8) + "xyz"

type fixedTokens string

func (f fixedTokens) NewToken() (string, error) { return string(f), nil }

// FuzzServerToken: a cookie value in filesystem mode is never a panic,
// never a session unless it is the issued token, never a file touched
// outside the session directory, and never a deletion of someone else's
// record.
func FuzzServerToken(f *testing.F) {
	tmp := f.TempDir()
	dir := filepath.Join(tmp, "sessions")
	fs, _, err := store.OpenFile(dir)
	if err != nil {
		f.Fatal(err)
	}
	b := session.NewServerBackend(fs)
	b.Tokens = fixedTokens(issuedToken)
	rec := testRecord(time.Now())
	if tok, err := b.Create(context.Background(), rec, rec.Deadline); err != nil || tok != issuedToken {
		f.Fatalf("Create = %q, %v", tok, err)
	}
	victim := filepath.Join(tmp, "victim")
	victimData := []byte("not a session")
	if err := os.WriteFile(victim, victimData, 0o600); err != nil {
		f.Fatal(err)
	}
	wantDir := []string{session.HashKey(issuedToken)}
	wantTmp := []string{"sessions", "victim"}

	f.Add(issuedToken)
	f.Add(issuedToken[:42] + "y")
	f.Add(session.HashKey(issuedToken))
	f.Add("../" + session.HashKey(issuedToken))
	for _, v := range hostileCookies() {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ctx := context.Background()
		if session.WellFormed(v) {
			if len(v) != 43 || strings.ContainsFunc(v, func(r rune) bool { return !strings.ContainsRune(tokenAlphabet, r) }) {
				t.Fatalf("WellFormed(%q) = true", v)
			}
		}
		got, err := b.Open(ctx, v)
		switch {
		case err == nil && v != issuedToken:
			t.Fatalf("Open(%q) returned a session (%s) for a value the server did not issue", v, got.Email)
		case err == nil && got.Email != email:
			t.Fatalf("Open(issued) = %+v", got)
		case err != nil && !errors.Is(err, session.ErrNoSession):
			t.Fatalf("Open(%q) = %v, want ErrNoSession", v, err)
		case err != nil && v == issuedToken:
			t.Fatalf("the issued token stopped working: %v", err)
		}
		if v != issuedToken {
			if err := b.Destroy(ctx, v); err != nil {
				t.Fatalf("Destroy(%q) = %v", v, err)
			}
			if _, err := b.Update(ctx, v, rec, rec.Deadline); !errors.Is(err, session.ErrNoSession) {
				t.Fatalf("Update(%q) = %v, want ErrNoSession", v, err)
			}
		}
		if got := readDirNames(t, dir); !slices.Equal(got, wantDir) {
			t.Fatalf("after %q the session directory holds %q", v, got)
		}
		if got := readDirNames(t, tmp); !slices.Equal(got, wantTmp) {
			t.Fatalf("after %q the directory above holds %q", v, got)
		}
		if data, err := os.ReadFile(victim); err != nil || !bytes.Equal(data, victimData) {
			t.Fatalf("after %q the file outside the store changed: %q %v", v, data, err)
		}
	})
}

func readDirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// FuzzDecodeRecord: any bytes in a store record decode to a complete record
// or an error, never a panic, and what decodes survives a round trip.
func FuzzDecodeRecord(f *testing.F) {
	data, _ := testRecord(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)).Encode()
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte(`{"v":1,"email":"a@b","deadline":"2030-01-01T00:00:00+02:00","authenticated_at":"2030-01-01T00:00:00Z","last_seen":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"v":1,"email":"a@b","deadline":"9999-12-31T23:59:59Z","authenticated_at":"0001-01-01T00:00:01Z","x":[[[[[[[[1]]]]]]]]}`))
	f.Add([]byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94.")) // a pickle
	f.Add([]byte(strings.Repeat("[", 10000)))
	for _, v := range hostileCookies() {
		f.Add([]byte(v))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := session.DecodeRecord(data)
		if err != nil {
			return
		}
		if r.Version != 1 || r.Email == "" || r.Deadline.IsZero() || r.AuthenticatedAt.IsZero() {
			t.Fatalf("DecodeRecord accepted an incomplete record: %+v", r)
		}
		again, err := r.Encode()
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		r2, err := session.DecodeRecord(again)
		if err != nil || r2.Email != r.Email || !r2.Deadline.Equal(r.Deadline) || !r2.AuthenticatedAt.Equal(r.AuthenticatedAt) || !r2.LastSeen.Equal(r.LastSeen) {
			t.Fatalf("round trip changed the record: %+v -> %+v (%v)", r, r2, err)
		}
	})
}
