package knownfail_test

import (
	"fmt"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/knownfail"
)

// An entry names a requirement, optionally a profile and a suite, and
// always why.
func ExampleParse() {
	l, err := knownfail.Parse([]byte(`
TOKEN-5@filesystem     # session.use_strict_mode=0 adopts any presented ID
COOKIE-2@redis/http    # the logout's Set-Cookie lacks Secure; the browser holds a Secure cookie
`), "php.known-failing")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, q := range []struct {
		id    string
		p     catalog.Profile
		suite string
	}{{"TOKEN-5", catalog.Filesystem, "http"}, {"TOKEN-5", catalog.Redis, "http"}, {"COOKIE-2", catalog.Redis, "browser"}} {
		e, ok := l.Lookup(q.id, q.p, q.suite)
		fmt.Println(q.id, q.p, q.suite, ok, e.Line)
	}
	// Output:
	// TOKEN-5 filesystem http true 2
	// TOKEN-5 redis http false 0
	// COOKIE-2 redis browser false 0
}
