package conform_test

import (
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/harness/conform"
)

// A suite's Test function runs the specs its files register.
func ExampleRunSuite() {
	_ = func(t *testing.T) { conform.RunSuite(t, "http") }
}

// A spec checks one requirement: it starts its own instance of the target,
// acts out the story, and records every broken expectation with what was
// seen. (Compiled, not run: a spec runs inside a suite.)
func ExampleRequirement() {
	conform.Requirement("LIFE-1", func(t *conform.T) {
		app := t.Launch(conform.Lifetime(2 * time.Second))
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0)) // a precondition: the dashboard shows john
		t.SleepUntil(time.Now().Add(2*time.Second+t.Timeouts.Tolerance), "the lifetime plus tolerance")
		t.ExpectAnonymous(john, t.Account(0), "replaying the cookie after the lifetime")
	}, conform.WaitsLong)
}

// A spec that needs many logins asks how many the target's login cost
// allows, and runs them as wide as that cost makes sense.
func ExampleT_LoginBudget() {
	conform.Requirement("ROBUST-7", func(t *conform.T) {
		app := t.Launch()
		n := t.LoginBudget(50, 10, "parallel logins")
		t.Parallel(n, t.LoginWidth(), func(i int) {
			t.Login(t.BulkVisitor(app, "user"), t.Account(i%2))
		})
	})
}
