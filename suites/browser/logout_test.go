package browser_test

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/sessionconf/sessionconf/harness/browser/person"
	. "github.com/sessionconf/sessionconf/harness/conform"
)

var _ = Describe("Clearing and logout", func() {
	Requirement("CLEAR-1", func(t *T) {
		app := t.Launch()
		john := person.Open(t, "john")
		john.LogIn(app, t.Account(0))

		t.ClearStore()
		john.Reload()
		john.ExpectLoginPage(t.Account(0), "after the store was cleared")
		john.LogIn(app, t.Account(0)) // and service continues
	})

	Requirement("CLEAR-5", func(t *T) {
		app := t.Launch()
		john := person.Open(t, "john")
		john.LogIn(app, t.Account(0))
		loggedIn := john.RequireSessionCookie(app, "after logging in")

		john.LogOut(app)
		john.ExpectLoginPage(t.Account(0), "after logging out")
		john.ExpectSessionCookieGone(app, loggedIn.Value, "after logging out")
	})

	Requirement("CLEAR-6", func(t *T) {
		app := t.Launch()
		john := person.Open(t, "john")
		john.LogIn(app, t.Account(0))
		john.LogOut(app)

		john.Back()
		john.ExpectNoUserData(t.Account(0), "after logging out and pressing Back")
		john.Reload()
		john.ExpectNoUserData(t.Account(0), "after logging out, pressing Back and reloading")
	})
})
