package tamper_test

import (
	"fmt"

	"github.com/sessionconf/sessionconf/harness/tamper"
)

// TOKEN-6 sends each mutation of a user's cookie; every one changes what
// the value decodes to, so accepting any is accepting a tampered cookie.
func ExampleMutations() {
	flask := "eyJlbWFpbCI6ImpvaG4ifQ.Z1a2Yw.Xk3cJ8-4bS5mR0qfV1m6tS6T2lE"
	other := "eyJlbWFpbCI6ImphbmUifQ.Z1a2Yw.Ab3cJ8-4bS5mR0qfV1m6tS6T2lE"
	for _, m := range tamper.Mutations(flask, other, "", "")[:3] {
		fmt.Println(m.Name)
	}
	fmt.Println(tamper.SameDecoded(flask, flask+"=="))
	// Output:
	// flip a bit at 0
	// flip a bit at 3
	// flip a bit at 6
	// true
}
