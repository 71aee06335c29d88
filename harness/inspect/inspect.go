// Package inspect looks into a target's session store from outside, the way
// an operator would: list the records with their modes or TTLs and raw
// bytes, clear them, corrupt them. It knows nothing about the target's code.
package inspect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// Record is one session record as the store shows it.
type Record struct {
	Key  string      // file name or Redis key
	Mode fs.FileMode // files only
	TTL  time.Duration
	// HasTTL is false for a Redis key without expiry (TTL -1).
	HasTTL bool
	Data   []byte
	Size   int
}

// Corruption is a way to damage a record.
type Corruption string

const (
	Garbage   Corruption = "garbage"   // 64 random-looking bytes, the same in every run
	Truncated Corruption = "truncated" // the first 2 bytes only
	Empty     Corruption = "empty"     // zero bytes
	// Garbled keeps a plausible header and garbles the body: a far-future
	// expiry in the 4-byte form file caches put first (cachelib, so the
	// store reads on), then bytes no decoder accepts. Random garbage mostly
	// fails at the header; a store must survive a bad body too.
	Garbled Corruption = "garbled body"
)

// Corruptions lists every kind.
var Corruptions = []Corruption{Garbage, Truncated, Empty, Garbled}

// garbledRecord is what Garbled writes: 0x7ffffff0 little-endian (a 2038
// expiry), then an integer opcode with no integer after it.
var garbledRecord = []byte("\xf0\xff\xff\x7fInot-a-number\n.")

// garbageRecord is what Garbage writes. It is fixed, not drawn per run, so
// a verdict is reproducible: a parser that chokes on a few random inputs in
// a hundred (Python's unpickler raising ValueError rather than
// UnpicklingError, say) would otherwise pass or fail by the draw.
var garbageRecord = func() []byte {
	a := sha256.Sum256([]byte("sessionconf: garbage record, part 1"))
	b := sha256.Sum256([]byte("sessionconf: garbage record, part 2"))
	return append(a[:], b[:]...)
}()

// GarbageRecord returns the bytes Garbage writes.
func GarbageRecord() []byte { return append([]byte(nil), garbageRecord...) }

// Store is a session store seen from outside.
type Store interface {
	// Kind is "directory" or "redis".
	Kind() string
	// Location is the directory or the Redis database and prefix.
	Location() string
	// List returns the session records (files in the directory, keys with
	// the prefix).
	List(ctx context.Context) ([]Record, error)
	// Clear deletes every session record (the story's `rm -rf
	// flask_session/*`, or delete-by-prefix).
	Clear(ctx context.Context) error
	// Corrupt damages one record.
	Corrupt(ctx context.Context, key string, how Corruption) error
}

// Describe renders a listing for the journal.
func Describe(s Store, recs []Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d record(s)\n", s.Kind(), s.Location(), len(recs))
	for _, r := range recs {
		switch s.Kind() {
		case "directory":
			fmt.Fprintf(&b, "  %v %6d  %s  %s\n", r.Mode, r.Size, r.Key, preview(r.Data))
		default:
			ttl := "no TTL"
			if r.HasTTL {
				ttl = "ttl " + r.TTL.Round(time.Millisecond).String()
			}
			fmt.Fprintf(&b, "  %-12s %6d  %s  %s\n", ttl, r.Size, r.Key, preview(r.Data))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// Keys returns the keys of recs.
func Keys(recs []Record) []string {
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = r.Key
	}
	return keys
}

// New returns the records in after that are not in before.
func New(before, after []Record) []Record {
	seen := map[string]bool{}
	for _, r := range before {
		seen[r.Key] = true
	}
	var out []Record
	for _, r := range after {
		if !seen[r.Key] {
			out = append(out, r)
		}
	}
	return out
}

// Same reports whether two listings hold the same records with the same
// data (a TTL that ticked down is no change).
func Same(a, b []Record) bool {
	if len(a) != len(b) {
		return false
	}
	data := map[string][]byte{}
	for _, r := range a {
		data[r.Key] = r.Data
	}
	for _, r := range b {
		d, ok := data[r.Key]
		if !ok || !bytes.Equal(d, r.Data) {
			return false
		}
	}
	return true
}

// Changed returns the records of after whose data differs from the same
// key's in before.
func Changed(before, after []Record) []Record {
	old := map[string][]byte{}
	for _, r := range before {
		old[r.Key] = r.Data
	}
	var out []Record
	for _, r := range after {
		if d, ok := old[r.Key]; ok && !bytes.Equal(d, r.Data) {
			out = append(out, r)
		}
	}
	return out
}

func preview(data []byte) string {
	const n = 96
	s := fmt.Sprintf("%q", data)
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// Remaining returns the records of some that are still in now.
func Remaining(some, now []Record) []Record {
	in := map[string]bool{}
	for _, r := range now {
		in[r.Key] = true
	}
	var out []Record
	for _, r := range some {
		if in[r.Key] {
			out = append(out, r)
		}
	}
	return out
}
