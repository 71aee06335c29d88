package inspect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNativeSerialization(t *testing.T) {
	for data, want := range map[string]string{
		"\x80\x04\x95\x10\x00\x00\x00":                        "python pickle (protocol 4)",
		"\x00\x00\x00\x00\x80\x04\x95":                        "python pickle (protocol 4)", // cachelib's expiry header first
		"(dp0\nS'user'\np1\n.":                                "python pickle (protocol 0)",
		"\xac\xed\x00\x05sr":                                  "java serialization",
		"\x04\x08{\x06":                                       "ruby marshal",
		`user|s:22:"john.smith@example.com";`:                 "PHP serialize",
		`a:1:{s:4:"user";}`:                                   "PHP serialize",
		`{"v":1,"email":"john.smith@example.com"}`:            "",
		`{"deadline":"2026-12-04T13:43:44Z","value":{"v":1}}`: "",
		"\x82\xa4user\xa4john":                                "", // msgpack
	} {
		if got := NativeSerialization([]byte(data)); got != want {
			t.Errorf("NativeSerialization(%q) = %q, want %q", data, got, want)
		}
	}
}

func TestDirListClearCorrupt(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "aa"), []byte(`{"x":1}`), 0o600)
	os.WriteFile(filepath.Join(dir, "bb"), []byte(`{"y":2}`), 0o644)
	d := Dir{Path: dir}
	ctx := context.Background()
	recs, err := d.List(ctx)
	if err != nil || len(recs) != 2 || recs[0].Mode != 0o600 || recs[1].Mode != 0o644 {
		t.Fatalf("List = %+v, %v", recs, err)
	}
	if !strings.Contains(Describe(d, recs), "2 record(s)") {
		t.Errorf("Describe: %s", Describe(d, recs))
	}
	for _, how := range Corruptions {
		if err := d.Corrupt(ctx, "aa", how); err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		data, _ := os.ReadFile(filepath.Join(dir, "aa"))
		if string(data) == `{"x":1}` {
			t.Errorf("%s left the record intact", how)
		}
	}
	if err := d.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if recs, _ := d.List(ctx); len(recs) != 0 {
		t.Errorf("after Clear: %v", Keys(recs))
	}
}

func TestDecodings(t *testing.T) {
	// Flask's signed cookie: base64 JSON payload, timestamp, signature.
	v := "eyJ1c2VyIjoiam9obi5zbWl0aEBleGFtcGxlLmNvbSJ9.ZwXyZQ.c2lnbmF0dXJl"
	found := false
	for _, d := range Decodings(v) {
		if strings.Contains(d, "john.smith@example.com") {
			found = true
		}
	}
	if !found {
		t.Errorf("Decodings(%q) did not reveal the email: %q", v, Decodings(v))
	}
}

func TestSame(t *testing.T) {
	a := []Record{{Key: "k1", Data: []byte("x"), TTL: 5}, {Key: "k2", Data: []byte("y")}}
	ticked := []Record{{Key: "k2", Data: []byte("y")}, {Key: "k1", Data: []byte("x"), TTL: 4}}
	if !Same(a, ticked) {
		t.Error("a TTL that ticked down, in another order, is the same listing")
	}
	if Same(a, a[:1]) || Same(a, []Record{{Key: "k1", Data: []byte("x")}, {Key: "k2", Data: []byte("z")}}) {
		t.Error("a record gone or rewritten is a change")
	}
}
