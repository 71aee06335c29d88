package session_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/session"
	"github.com/sessionconf/sessionconf/reference/store"
)

func testRecord(now time.Time) session.Record {
	return session.Lifetime{Absolute: testLifetime}.Start(session.Record{Version: 1, Email: email}, now)
}

func TestServerBackendStoresJSONUnderTheTokenHash(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	b := session.NewServerBackend(st)
	rec := testRecord(time.Now())
	tok, err := b.Create(t.Context(), rec, rec.Deadline)
	if err != nil {
		t.Fatal(err)
	}
	if !session.WellFormed(tok) {
		t.Fatalf("Create returned %q, not a well-formed token", tok)
	}
	raw, ok := st.get(session.HashKey(tok))
	if !ok || st.len() != 1 {
		t.Fatalf("record not stored under HashKey(token); store holds %d entries", st.len())
	}
	if !st.deadline(session.HashKey(tok)).Equal(rec.Deadline) {
		t.Errorf("store deadline %v, want %v", st.deadline(session.HashKey(tok)), rec.Deadline)
	}
	var asMap map[string]any
	if err := json.Unmarshal(raw, &asMap); err != nil {
		t.Fatalf("stored record is not JSON: %q", raw)
	}
	if asMap["email"] != email {
		t.Errorf("stored record %s lacks the email", raw)
	}
	if strings.Contains(string(raw), tok) {
		t.Error("the stored record contains the token")
	}
	got, err := b.Open(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != email || !got.Deadline.Equal(rec.Deadline) || !got.AuthenticatedAt.Equal(rec.AuthenticatedAt) {
		t.Errorf("Open = %+v, want %+v", got, rec)
	}
	tok2, err := b.Create(t.Context(), rec, rec.Deadline)
	if err != nil || tok2 == tok {
		t.Errorf("second Create = %q, %v; want a different token", tok2, err)
	}
}

func TestServerBackendOpenRefusals(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	b := session.NewServerBackend(st)
	rec := testRecord(time.Now())
	tok, err := b.Create(t.Context(), rec, rec.Deadline)
	if err != nil {
		t.Fatal(err)
	}

	// Values that cannot be tokens are refused before the store is asked.
	before := st.total()
	for _, v := range []string{"", "../../etc/passwd", session.HashKey(tok), tok + "x", tok[:42], "v1.abc", tok[:42] + "\x00"} {
		if _, err := b.Open(t.Context(), v); err != session.ErrNoSession {
			t.Errorf("Open(%q) = %v, want exactly ErrNoSession", v, err)
		}
		if err := b.Destroy(t.Context(), v); err != nil {
			t.Errorf("Destroy(%q) = %v", v, err)
		}
	}
	if n := st.total() - before; n != 0 {
		t.Errorf("%d store calls for values that are not tokens", n)
	}

	// A well-formed token nobody issued.
	other, _ := session.RandomTokens{}.NewToken()
	if _, err := b.Open(t.Context(), other); err != session.ErrNoSession {
		t.Errorf("Open(unknown) = %v, want ErrNoSession", err)
	}

	// A record read once and then corrupted is not served from memory.
	good, _ := st.get(session.HashKey(tok))
	if _, err := b.Open(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	st.set(session.HashKey(tok), []byte(`{"v":1}`))
	if _, err := b.Open(t.Context(), tok); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("Open after the record was corrupted = %v, want ErrNoSession", err)
	}
	st.set(session.HashKey(tok), good)
	if r, err := b.Open(t.Context(), tok); err != nil || r.Email != email {
		t.Errorf("Open after the record was restored = %+v, %v", r, err)
	}

	// Corrupt: the store says so, or the bytes are JSON but no record.
	for _, raw := range []string{"\x00\xff", `{"v":1}`, `{"v":2,"email":"a@b","deadline":"2099-01-01T00:00:00Z","authenticated_at":"2020-01-01T00:00:00Z"}`, `[]`, `null`} {
		st.set(session.HashKey(tok), []byte(raw))
		_, err := b.Open(t.Context(), tok)
		if !errors.Is(err, session.ErrNoSession) {
			t.Errorf("Open of a record holding %q = %v, want ErrNoSession", raw, err)
		}
	}

	// A store failure is not "no session": the caller must answer 503.
	st.setFail(store.ErrUnavailable)
	_, err = b.Open(t.Context(), tok)
	if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, session.ErrNoSession) {
		t.Errorf("Open with the store down = %v, want ErrUnavailable and not ErrNoSession", err)
	}
}

func TestServerBackendUpdateAndDestroy(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	b := session.NewServerBackend(st)
	rec := testRecord(time.Now())
	tok, err := b.Create(t.Context(), rec, rec.Deadline)
	if err != nil {
		t.Fatal(err)
	}
	rec.LastSeen = rec.LastSeen.Add(time.Minute)
	newDeadline := rec.Deadline.Add(-time.Hour)
	got, err := b.Update(t.Context(), tok, rec, newDeadline)
	if err != nil || got != tok {
		t.Fatalf("Update = %q, %v; want the same token", got, err)
	}
	if !st.deadline(session.HashKey(tok)).Equal(newDeadline) {
		t.Error("Update did not pass the new deadline to the store")
	}
	if r, err := b.Open(t.Context(), tok); err != nil || !r.LastSeen.Equal(rec.LastSeen) {
		t.Errorf("Open after Update = %+v, %v", r, err)
	}
	if err := b.Destroy(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if st.len() != 0 {
		t.Fatal("Destroy left the record")
	}
	if _, err := b.Open(t.Context(), tok); err != session.ErrNoSession {
		t.Errorf("Open after Destroy = %v, want ErrNoSession", err)
	}
	if _, err := b.Update(t.Context(), tok, rec, newDeadline); err != session.ErrNoSession {
		t.Errorf("Update after Destroy = %v, want ErrNoSession", err)
	}
	if st.len() != 0 {
		t.Fatal("Update after Destroy brought the record back")
	}
	st.setFail(store.ErrUnavailable)
	if err := b.Destroy(t.Context(), tok); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Destroy with the store down = %v, want the store's error", err)
	}
	if err := b.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping with the store down = %v", err)
	}
}

// The production backend over the real file store, end to end.
func TestServerBackendOverFileStore(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "s")
	fs, _, err := store.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := session.NewServerBackend(fs)
	rec := testRecord(time.Now())
	tok, err := b.Create(t.Context(), rec, rec.Deadline)
	if err != nil {
		t.Fatal(err)
	}
	path, _ := fs.Path(session.HashKey(tok))
	if filepath.Dir(path) != dir {
		t.Fatalf("record at %s, outside %s", path, dir)
	}
	if r, err := b.Open(t.Context(), tok); err != nil || r.Email != email {
		t.Fatalf("Open = %+v, %v", r, err)
	}
	if err := b.Destroy(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(t.Context(), tok); err != session.ErrNoSession {
		t.Fatalf("Open after Destroy = %v", err)
	}
}

func TestDecodeRecord(t *testing.T) {
	t.Parallel()
	rec := testRecord(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	data, err := rec.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := session.DecodeRecord(data)
	if err != nil || got != rec {
		t.Fatalf("DecodeRecord(Encode(r)) = %+v, %v; want %+v", got, err, rec)
	}
	for _, bad := range []string{
		"", "null", "{}", "[]", `"x"`, "\x00", string(data[:len(data)/2]),
		`{"v":1,"email":"","deadline":"2030-01-01T00:00:00Z","authenticated_at":"2030-01-01T00:00:00Z"}`,
		`{"v":1,"email":"a@b","authenticated_at":"2030-01-01T00:00:00Z"}`,
		`{"v":1,"email":"a@b","deadline":"2030-01-01T00:00:00Z"}`,
		`{"v":0,"email":"a@b","deadline":"2030-01-01T00:00:00Z","authenticated_at":"2030-01-01T00:00:00Z"}`,
		`{"v":"1","email":"a@b","deadline":"2030-01-01T00:00:00Z","authenticated_at":"2030-01-01T00:00:00Z"}`,
		`{"v":1,"email":"a@b","deadline":"tomorrow","authenticated_at":"2030-01-01T00:00:00Z"}`,
	} {
		if _, err := session.DecodeRecord([]byte(bad)); err == nil {
			t.Errorf("DecodeRecord(%q) accepted it", bad)
		}
	}
}
