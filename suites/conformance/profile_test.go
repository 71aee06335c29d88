package conformance_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	. "github.com/sessionconf/sessionconf/harness/conform"
)

var _ = Describe("Profile switching", func() {
	Requirement("PROFILE-1", func(t *T) {
		// Only a switch the target has: a server-side mode its manifest
		// declares, not one the harness supposes.
		from := t.Target.SwitchSource()
		if from == "" {
			t.Unsupported("the manifest declares no server-side profile to switch to cookies from: list filesystem or redis in profiles, or name it in features.switch_from")
		}
		// A cookie issued while the server kept sessions server-side...
		server := t.Launch(AsProfile(from))
		old := t.Visitor(server, "john")
		t.Login(old, t.Account(0))
		t.RequireAuthenticated(old, t.Account(0), fmt.Sprintf("in the %s mode", from))
		t.Stop(server)

		// ...is no session once it keeps them in cookies.
		app := t.Launch()
		leftover := t.Switch(old, app)
		t.ExpectAnonymous(leftover, t.Account(0), fmt.Sprintf("with a cookie left over from the %s mode", from))

		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		t.ExpectAuthenticated(john, t.Account(0), "after a login in the cookie mode")
		r := t.Logout(john)
		t.Check(r.Status < 500, "the logout in the cookie mode answered %s", describeShort(r))
		t.ExpectAnonymous(john, t.Account(0), "after the logout in the cookie mode")
	})
})
