package conformance_test

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/sessionconf/sessionconf/harness/catalog"
	. "github.com/sessionconf/sessionconf/harness/conform"
)

var _ = Describe("Profile switching", func() {
	Requirement("PROFILE-1", func(t *T) {
		// A cookie issued while the server kept sessions in files...
		files := t.Launch(AsProfile(catalog.Filesystem))
		old := t.Visitor(files, "john")
		t.Login(old, t.Account(0))
		t.RequireAuthenticated(old, t.Account(0), "in the filesystem mode")
		t.Stop(files)

		// ...is no session once it keeps them in cookies.
		app := t.Launch()
		leftover := t.Switch(old, app)
		t.ExpectAnonymous(leftover, t.Account(0), "with a cookie left over from the filesystem mode")

		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		t.ExpectAuthenticated(john, t.Account(0), "after a login in the cookie mode")
		r := t.Logout(john)
		t.Check(r.Status < 500, "the logout in the cookie mode answered %s", describeShort(r))
		t.ExpectAnonymous(john, t.Account(0), "after the logout in the cookie mode")
	})
})
