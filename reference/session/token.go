package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// TokenBytes is the size of a session token: 256 bits from crypto/rand,
// twice the 128 bits OWASP asks for.
const TokenBytes = 32

// tokenLen is the length of a token as the cookie carries it (unpadded
// base64url of TokenBytes).
var tokenLen = base64.RawURLEncoding.EncodedLen(TokenBytes)

// TokenSource makes new session tokens.
type TokenSource interface {
	NewToken() (string, error)
}

// RandomTokens is the production TokenSource.
type RandomTokens struct{}

func (RandomTokens) NewToken() (string, error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// KeyFunc turns a token into the store key its record lives under.
type KeyFunc func(token string) string

// HashKey is the production KeyFunc: the hex SHA-256 of the token. Whoever
// reads the store (a backup, a shared Redis) learns no usable token, and a
// key can never be a path.
func HashKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether v could be a token this server issued. Anything
// else is rejected before it reaches a store.
func WellFormed(v string) bool {
	if len(v) != tokenLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
