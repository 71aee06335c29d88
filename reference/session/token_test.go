package session_test

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/reference/session"
)

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func TestRandomTokens(t *testing.T) {
	t.Parallel()
	const n = 20000
	seen := make(map[string]bool, n)
	var used [256]bool
	for range n {
		tok, err := session.RandomTokens{}.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != 43 {
			t.Fatalf("token %q has %d characters, want 43 (256 bits, unpadded base64url)", tok, len(tok))
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != session.TokenBytes {
			t.Fatalf("token %q does not decode to %d bytes: %v", tok, session.TokenBytes, err)
		}
		for i := 0; i < len(tok); i++ {
			if !strings.ContainsRune(tokenAlphabet, rune(tok[i])) {
				t.Fatalf("token %q has %q, outside base64url", tok, tok[i])
			}
			used[tok[i]] = true
		}
		if !session.WellFormed(tok) {
			t.Fatalf("WellFormed(%q) = false for a token we issued", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q issued twice in %d", tok, n)
		}
		seen[tok] = true
	}
	if session.TokenBytes < 32 {
		t.Errorf("TokenBytes = %d, want at least 32 (256 bits)", session.TokenBytes)
	}
	// 20000 random tokens use every character of the alphabet; a token
	// source with a narrower range (hex, digits) would not.
	for _, c := range []byte(tokenAlphabet) {
		if !used[c] {
			t.Errorf("character %q never appeared in %d tokens", c, n)
		}
	}
}

func TestWellFormed(t *testing.T) {
	t.Parallel()
	good := strings.Repeat("a", 42) + "Q"
	if !session.WellFormed(good) {
		t.Fatalf("WellFormed(%q) = false", good)
	}
	if !session.WellFormed(strings.Repeat("-_09AZaz", 5) + "abc") {
		t.Error("WellFormed refuses the whole base64url alphabet")
	}
	bad := []string{
		"", "a", good[:42], good + "a", strings.Repeat("a", 8192),
		strings.Repeat("a", 42) + "+", strings.Repeat("a", 42) + "/", strings.Repeat("a", 42) + "=",
		strings.Repeat("a", 42) + ".", strings.Repeat("a", 42) + " ", strings.Repeat("a", 42) + "\x00",
		strings.Repeat("a", 41) + "\r\n", strings.Repeat("a", 41) + "é", "../../../../../../../../../../../etc/passwd",
		"/" + strings.Repeat("a", 42), strings.Repeat(".", 43), "v1." + strings.Repeat("a", 40),
		strings.Repeat("a", 42) + "\xff",
	}
	for _, v := range bad {
		if session.WellFormed(v) {
			t.Errorf("WellFormed(%q) = true", v)
		}
	}
}

func TestHashKey(t *testing.T) {
	t.Parallel()
	// SHA-256 of the empty string, in lowercase hex.
	if got := session.HashKey(""); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("HashKey(\"\") = %s, want the SHA-256 of nothing", got)
	}
	tok, err := session.RandomTokens{}.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	k := session.HashKey(tok)
	if len(k) != 64 || strings.ToLower(k) != k {
		t.Fatalf("HashKey = %q, want 64 lowercase hex characters", k)
	}
	if _, err := hex.DecodeString(k); err != nil {
		t.Fatalf("HashKey = %q is not hex", k)
	}
	if k != session.HashKey(tok) {
		t.Error("HashKey is not deterministic")
	}
	if strings.Contains(k, tok) || strings.Contains(tok, k[:16]) {
		t.Error("the key reveals the token")
	}
	other := tok[:42] + string(tokenAlphabet[(strings.IndexByte(tokenAlphabet, tok[42])+1)%64])
	if session.HashKey(other) == k {
		t.Error("tokens differing in one character share a key")
	}
}
