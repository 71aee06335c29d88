package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionconf/sessionconf/reference/store"
)

// ErrNoSession means the token finds no usable session: unknown, expired,
// logged out, cleared, corrupt or forged. The visitor is anonymous.
var ErrNoSession = errors.New("session: no session")

// Backend keeps records and hands out the token a client presents to get its
// record back. The server-side backend keeps records in a store and the token
// is a random ID; the cookie backend keeps the record in the token itself.
type Backend interface {
	// Open returns the record behind token, ErrNoSession, or a store error.
	Open(ctx context.Context, token string) (Record, error)
	// Create stores a new session and returns its fresh token.
	Create(ctx context.Context, r Record, deadline time.Time) (string, error)
	// Update rewrites an existing session and returns the token to use from
	// now on; ErrNoSession if the session was destroyed meanwhile.
	Update(ctx context.Context, token string, r Record, deadline time.Time) (string, error)
	// Destroy ends the session so the token is worthless from now on.
	Destroy(ctx context.Context, token string) error
	// Ping reports whether sessions can be served now.
	Ping(ctx context.Context) error
	Close() error
}

// ServerBackend is the Backend of the filesystem and Redis modes: a random
// token in the cookie, the record in a store under a hash of the token.
type ServerBackend struct {
	Store  store.Store
	Tokens TokenSource
	Key    KeyFunc
	// Accept reports whether a presented token could be one Tokens issued;
	// anything else is rejected before it reaches the store. Nil means
	// WellFormed, the check that matches RandomTokens.
	Accept func(token string) bool

	decoded decodedRecords
}

// NewServerBackend returns the production server-side backend over s.
func NewServerBackend(s store.Store) *ServerBackend {
	return &ServerBackend{Store: s, Tokens: RandomTokens{}, Key: HashKey}
}

func (b *ServerBackend) Open(ctx context.Context, token string) (Record, error) {
	if !b.accepts(token) {
		return Record{}, ErrNoSession
	}
	data, err := b.Store.Get(ctx, b.Key(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Record{}, ErrNoSession
	case errors.Is(err, store.ErrCorrupt):
		return Record{}, fmt.Errorf("%w: %v", ErrNoSession, err)
	case err != nil:
		return Record{}, err
	}
	r, err := b.decoded.decode(data)
	if err != nil {
		return Record{}, fmt.Errorf("%w: corrupt record: %v", ErrNoSession, err)
	}
	return r, nil
}

func (b *ServerBackend) Create(ctx context.Context, r Record, deadline time.Time) (string, error) {
	token, err := b.Tokens.NewToken()
	if err != nil {
		return "", err
	}
	data, err := r.Encode()
	if err != nil {
		return "", err
	}
	if err := b.Store.Put(ctx, b.Key(token), data, deadline); err != nil {
		return "", err
	}
	return token, nil
}

func (b *ServerBackend) Update(ctx context.Context, token string, r Record, deadline time.Time) (string, error) {
	data, err := r.Encode()
	if err != nil {
		return "", err
	}
	err = b.Store.Replace(ctx, b.Key(token), data, deadline)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNoSession
	}
	return token, err
}

func (b *ServerBackend) Destroy(ctx context.Context, token string) error {
	if !b.accepts(token) {
		return nil
	}
	return b.Store.Delete(ctx, b.Key(token))
}

func (b *ServerBackend) accepts(token string) bool {
	if b.Accept != nil {
		return b.Accept(token)
	}
	return WellFormed(token)
}

func (b *ServerBackend) Ping(ctx context.Context) error { return b.Store.Ping(ctx) }

func (b *ServerBackend) Close() error { return b.Store.Close() }
