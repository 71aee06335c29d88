// Package browser_test is the browser suite: the story's manual test plan
// (log in through the form, see the name, restart the server, reload,
// still logged in) and the cookie and logout promises a person can see,
// automated in a real headless Chromium driven by go-rod, against the
// target and profile given by -sessionconf.target and
// -sessionconf.profile. Each spec evidences one requirement of the
// catalog (suites/SPEC.md); the HTTP suite checks the same requirements
// from the wire.
package browser_test

import (
	"testing"

	"github.com/sessionconf/sessionconf/harness/browser/person"
	"github.com/sessionconf/sessionconf/harness/conform"
)

// Every process closes its browser before it stops its targets.
func TestBrowser(t *testing.T) {
	conform.RunSuite(t, "browser", conform.BeforeTeardown(person.Shutdown))
}
