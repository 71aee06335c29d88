package store

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecodeEnvelope: decodeEnvelope's fast path reads exactly what the
// full JSON decoder reads, or leaves the input to it.
func FuzzDecodeEnvelope(f *testing.F) {
	good, _ := json.Marshal(envelope{Deadline: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC), Value: json.RawMessage(`{"v":1,"email":"a@b"}`)})
	f.Add(good)
	f.Add(good[:len(good)-2])
	for _, s := range []string{
		`{"deadline":"2030-01-02T03:04:05+01:00","value":[1,2]}`,
		`{"deadline":"2030-01-02T03:04:05Z","value":1 }`,
		`{"deadline":"2030-01-02T03:04:05Z","value":{"a":1},"deadline":"2031-01-01T00:00:00Z"}`,
		`{"deadline":"2030-01-02T03:04:05Z","value":{"a":1}}}`,
		`{"deadline":"2030-01-02T03:04:05Z","value":{"ema}`,
		`{"deadline":"0001-01-01T00:00:00Z","value":1}`,
		`{"deadline":"2030\u002d01-02T03:04:05Z","value":1}`,
		`{"value":1,"deadline":"2030-01-02T03:04:05Z"}`,
		` {"deadline": "2030-01-02T03:04:05Z", "value": true}`,
		`{"deadline":"","value":1}`, `{"deadline":"2030-01-02T24:00:00Z","value":1}`,
		"", "\x00", "{}", "null",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeEnvelope(data)
		var want envelope
		werr := json.Unmarshal(data, &want)
		if werr == nil && (want.Deadline.IsZero() || len(want.Value) == 0) {
			werr = errIncomplete
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("decodeEnvelope(%q) error %v, JSON decoder %v", data, err, werr)
		}
		if err != nil {
			return
		}
		if !got.Deadline.Equal(want.Deadline) || got.Deadline.Location().String() != want.Deadline.Location().String() {
			t.Fatalf("deadline %v, JSON decoder %v", got.Deadline, want.Deadline)
		}
		var a, b bytes.Buffer
		if json.Compact(&a, got.Value) != nil || json.Compact(&b, want.Value) != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("value %q, JSON decoder %q", got.Value, want.Value)
		}
	})
}
