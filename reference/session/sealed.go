package session

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// sealedPrefix versions the cookie format, so a key or cipher change can be
// rolled out without misreading old cookies.
const sealedPrefix = "v1."

// maxSealedLen keeps name and value within the 4096 bytes browsers store.
const maxSealedLen = 3800

// sealedAAD binds a sealed value to its purpose: a value sealed for anything
// else with the same key does not open as a session.
var sealedAAD = []byte("sessionconf session cookie v1")

// Sealer encrypts and authenticates records into cookie values.
type Sealer interface {
	Seal(plain []byte) (string, error)
	Open(value string) ([]byte, error)
}

// AESGCM is the production Sealer: AES-256-GCM with a key derived from
// SECRET_KEY by HKDF. The cookie is opaque (nobody reads the email in it)
// and tamper-proof (any change fails to open).
type AESGCM struct{ aead cipher.AEAD }

// NewAESGCM derives the cookie key from secret.
func NewAESGCM(secret []byte) (*AESGCM, error) {
	if len(secret) == 0 {
		return nil, errors.New("session: empty secret key")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "sessionconf cookie encryption", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &AESGCM{aead: aead}, nil
}

func (s *AESGCM) Seal(plain []byte) (string, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, plain, sealedAAD)
	v := sealedPrefix + base64.RawURLEncoding.EncodeToString(out)
	if len(v) > maxSealedLen {
		return "", errors.New("session: sealed record too large for a cookie")
	}
	return v, nil
}

func (s *AESGCM) Open(value string) ([]byte, error) {
	if len(value) > maxSealedLen || !strings.HasPrefix(value, sealedPrefix) {
		return nil, ErrNoSession
	}
	// Strict: a value whose unused trailing bits differ is not the value we
	// sealed, even if it decodes to the same bytes. The decoder also skips
	// CR and LF anywhere; the length check refuses those.
	body := value[len(sealedPrefix):]
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(body) != base64.RawURLEncoding.EncodedLen(len(raw)) || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, ErrNoSession
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], sealedAAD)
	if err != nil {
		return nil, ErrNoSession
	}
	return plain, nil
}

// CookieBackend is the cookie mode ("SESSION_TYPE=null"): the whole record
// travels sealed in the cookie and nothing is stored. It cannot revoke a
// session before its deadline: logout only asks the browser to forget it.
type CookieBackend struct {
	Sealer Sealer
}

func (b *CookieBackend) Open(_ context.Context, token string) (Record, error) {
	plain, err := b.Sealer.Open(token)
	if err != nil {
		return Record{}, ErrNoSession
	}
	r, err := DecodeRecord(plain)
	if err != nil {
		return Record{}, ErrNoSession
	}
	return r, nil
}

func (b *CookieBackend) Create(_ context.Context, r Record, _ time.Time) (string, error) {
	return b.seal(r)
}

func (b *CookieBackend) Update(_ context.Context, _ string, r Record, _ time.Time) (string, error) {
	return b.seal(r)
}

func (b *CookieBackend) Destroy(context.Context, string) error { return nil }

func (b *CookieBackend) Ping(context.Context) error { return nil }

func (b *CookieBackend) Close() error { return nil }

func (b *CookieBackend) seal(r Record) (string, error) {
	data, err := r.Encode()
	if err != nil {
		return "", err
	}
	return b.Sealer.Seal(data)
}
