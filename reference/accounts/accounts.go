// Package accounts loads the login accounts of the reference server from a
// JSON fixtures file with bcrypt hashes. The story's two accounts are
// built in (default.json), so the server runs from any directory.
package accounts

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Account is one user who can log in.
type Account struct {
	Email  string `json:"email"`
	Name   string `json:"name"`
	Bcrypt string `json:"bcrypt"`
}

// Book is the set of accounts, by lower-case email.
type Book struct {
	byEmail map[string]Account
	// dummy is compared against for unknown emails, so that a wrong email
	// costs as much time as a wrong password.
	dummy []byte
}

type file struct {
	Comment  string    `json:"_comment"`
	Accounts []Account `json:"accounts"`
}

// defaultAccounts are the story's John Smith and Jane Doe, with bcrypt
// hashes of cost 4 so the suites stay fast.
//
//go:embed default.json
var defaultAccounts []byte

// Default returns the built-in accounts.
func Default() (*Book, error) { return Parse(defaultAccounts, "the built-in accounts") }

// Load reads a fixtures file; an empty path is the built-in accounts.
func Load(path string) (*Book, error) {
	if path == "" {
		return Default()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return Parse(data, path)
}

// Parse reads fixtures from data; name is used in error messages.
func Parse(data []byte, name string) (*Book, error) {
	var f file
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("accounts: %s: %v", name, err)
	}
	if len(f.Accounts) == 0 {
		return nil, fmt.Errorf("accounts: %s: no accounts", name)
	}
	b := &Book{byEmail: make(map[string]Account, len(f.Accounts))}
	for i, a := range f.Accounts {
		key := strings.ToLower(strings.TrimSpace(a.Email))
		switch {
		case key == "" || a.Name == "":
			return nil, fmt.Errorf("accounts: %s: account %d needs an email and a name", name, i+1)
		case !strings.HasPrefix(a.Bcrypt, "$2"):
			return nil, fmt.Errorf("accounts: %s: account %s has no bcrypt hash", name, a.Email)
		}
		if _, dup := b.byEmail[key]; dup {
			return nil, fmt.Errorf("accounts: %s: duplicate account %s", name, a.Email)
		}
		b.byEmail[key] = a
		if b.dummy == nil {
			b.dummy = []byte(a.Bcrypt)
		}
	}
	return b, nil
}

// Lookup returns the account for email without checking a password.
func (b *Book) Lookup(email string) (Account, bool) {
	a, ok := b.byEmail[strings.ToLower(strings.TrimSpace(email))]
	return a, ok
}

// Authenticate returns the account when email and password match.
func (b *Book) Authenticate(email, password string) (Account, bool) {
	a, ok := b.Lookup(email)
	if !ok {
		bcrypt.CompareHashAndPassword(b.dummy, []byte(password))
		return Account{}, false
	}
	if bcrypt.CompareHashAndPassword([]byte(a.Bcrypt), []byte(password)) != nil {
		return Account{}, false
	}
	return a, true
}
