// Package store keeps opaque session values under string keys, each with a
// deadline after which the store may forget it. The session package decides
// what the keys and values are; a store only has to be durable, atomic per
// key and honest about failures.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound means the key holds nothing (never written, deleted or expired).
var ErrNotFound = errors.New("store: not found")

// ErrCorrupt means the key holds bytes the store cannot read back. Callers
// treat it like ErrNotFound, but it is worth a log line.
var ErrCorrupt = errors.New("store: corrupt entry")

// ErrUnavailable wraps failures of the backing service (Redis unreachable,
// directory unwritable). The server answers them with 503/500, never with a
// pretended success.
var ErrUnavailable = errors.New("store: unavailable")

// Store is the interface every backend implements.
type Store interface {
	// Get returns the value stored under key, ErrNotFound or ErrCorrupt.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores value under key until deadline. It returns only once the
	// value is durable: a crash right after Put must not lose or tear it.
	Put(ctx context.Context, key string, value []byte, deadline time.Time) error
	// Replace is Put for a key that must already exist; it returns
	// ErrNotFound, and writes nothing, when the key has gone meanwhile. That
	// keeps a request that loaded a session before a logout from bringing it
	// back.
	Replace(ctx context.Context, key string, value []byte, deadline time.Time) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Ping reports whether the store can serve requests now.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Sweeper is implemented by stores whose expired entries need removing by
// hand (Redis expires keys by itself, a directory does not).
type Sweeper interface {
	// Sweep deletes every entry whose deadline has passed and reports how
	// many it removed.
	Sweep(ctx context.Context, now time.Time) (int, error)
}
