package accounts_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/sessionconf/sessionconf/reference/accounts"
)

func hash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestFixturesFile(t *testing.T) {
	t.Parallel()
	b, err := accounts.Load("default.json")
	if err != nil {
		t.Fatal(err)
	}
	a, ok := b.Authenticate("john.smith@example.com", "password123")
	if !ok || a.Name != "John Smith" {
		t.Fatalf("the story's account does not log in: %+v %v", a, ok)
	}
	if _, ok := b.Lookup("jane.doe@example.com"); !ok {
		t.Error("no second account for multi-user specs")
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	data := `{"accounts":[{"email":"A.User@Example.com","name":"A User","bcrypt":"` + hash(t, "right") + `"}]}`
	b, err := accounts.Parse([]byte(data), "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"a.user@example.com", " A.USER@example.com ", "A.User@Example.com"} {
		if a, ok := b.Authenticate(email, "right"); !ok || a.Name != "A User" {
			t.Errorf("Authenticate(%q, right) = %+v, %v", email, a, ok)
		}
	}
	for _, c := range [][2]string{{"a.user@example.com", "wrong"}, {"a.user@example.com", ""}, {"a.user@example.com", "Right"}, {"other@example.com", "right"}, {"", ""}} {
		if a, ok := b.Authenticate(c[0], c[1]); ok || a != (accounts.Account{}) {
			t.Errorf("Authenticate(%q, %q) = %+v, %v; want refused", c[0], c[1], a, ok)
		}
	}
	if a, ok := b.Lookup("A.USER@EXAMPLE.COM"); !ok || a.Name != "A User" {
		t.Errorf("Lookup = %+v, %v", a, ok)
	}
}

func TestParseRefusesBadFixtures(t *testing.T) {
	t.Parallel()
	h := hash(t, "x")
	for _, bad := range []string{
		``, `{}`, `{"accounts":[]}`, `not json`,
		`{"accounts":[{"email":"a@b","name":"A","bcrypt":"plaintext"}]}`,
		`{"accounts":[{"email":"","name":"A","bcrypt":"` + h + `"}]}`,
		`{"accounts":[{"email":"a@b","name":"","bcrypt":"` + h + `"}]}`,
		`{"accounts":[{"email":"a@b","name":"A","bcrypt":"` + h + `"},{"email":"A@B","name":"B","bcrypt":"` + h + `"}]}`,
		`{"accounts":[{"email":"a@b","name":"A","password":"x","bcrypt":"` + h + `"}]}`,
	} {
		if _, err := accounts.Parse([]byte(bad), "test"); err == nil {
			t.Errorf("Parse(%q) accepted it", bad)
		} else if !strings.Contains(err.Error(), "test") {
			t.Errorf("error %q does not name the file", err)
		}
	}
	if _, err := accounts.Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
	p := filepath.Join(t.TempDir(), "a.json")
	if err := os.WriteFile(p, []byte(`{"_comment":"ok","accounts":[{"email":"a@b","name":"A","bcrypt":"`+h+`"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Load(p); err != nil {
		t.Errorf("Load with a _comment: %v", err)
	}
}
