package session

import (
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// recordVersion lets a future format coexist with records already stored.
const recordVersion = 1

// Record is what a session holds. It is stored as JSON, never in a
// language-native serialisation, so write access to the store is not code
// execution.
type Record struct {
	Version int    `json:"v"`
	Email   string `json:"email"`
	// AuthenticatedAt is the login time; Deadline is AuthenticatedAt plus the
	// absolute lifetime and never moves.
	AuthenticatedAt time.Time `json:"authenticated_at"`
	Deadline        time.Time `json:"deadline"`
	// LastSeen is the last request that counted against the idle timeout.
	LastSeen time.Time `json:"last_seen"`
}

// Encode returns the record's JSON.
func (r Record) Encode() ([]byte, error) { return json.Marshal(r) }

// DecodeRecord parses a record and rejects ones no server wrote.
func DecodeRecord(data []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, err
	}
	if r.Version != recordVersion || r.Email == "" || r.Deadline.IsZero() || r.AuthenticatedAt.IsZero() {
		return Record{}, errors.New("session: incomplete record")
	}
	return r, nil
}

// decodedRecords memoizes DecodeRecord by the bytes it decodes, which saves
// the JSON decoding of the same record on every request of a session. It
// is keyed by content, not by token, so it cannot serve a stale or revoked
// session: the store is still read on every request, and any change to the
// bytes is a different key. Cleared when full.
type decodedRecords struct {
	mu sync.RWMutex
	m  map[string]Record
}

const decodedRecordsMax = 4096

func (c *decodedRecords) decode(data []byte) (Record, error) {
	c.mu.RLock()
	r, ok := c.m[string(data)]
	c.mu.RUnlock()
	if ok {
		return r, nil
	}
	r, err := DecodeRecord(data)
	if err != nil {
		return Record{}, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= decodedRecordsMax {
		c.m = make(map[string]Record, 64)
	}
	c.m[string(data)] = r
	c.mu.Unlock()
	return r, nil
}
