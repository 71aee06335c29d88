package conformance_test

import (
	. "github.com/onsi/ginkgo/v2"

	. "github.com/sessionconf/sessionconf/harness/conform"
)

var _ = Describe("Persistence", func() {
	Requirement("PERSIST-1", func(t *T) {
		app := t.Launch()
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		t.RequireAuthenticated(john, t.Account(0), "right after login")

		t.Restart(app)
		t.ExpectAuthenticated(john, t.Account(0), "after a graceful restart")
	})
})
