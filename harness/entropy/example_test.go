package entropy_test

import (
	"fmt"

	"github.com/sessionconf/sessionconf/harness/entropy"
)

// IDs made of a counter take few values per position: the estimate is
// what those positions hold, far below TOKEN-1's 64 bits.
func ExampleOf() {
	var ids []string
	for i := range 200 {
		ids = append(ids, fmt.Sprintf("sess-%04d", i))
	}
	e := entropy.Of(ids)
	fmt.Printf("%d IDs, %d distinct, %d characters in use, %.1f bits\n", e.Samples, e.Distinct, e.Alphabet, e.Bits)
	fmt.Println("a sample for that alphabet needs", entropy.MinSamples(e.Alphabet), "IDs")
	// Output:
	// 200 IDs, 200 distinct, 10 characters in use, 7.6 bits
	// a sample for that alphabet needs 50 IDs
}
