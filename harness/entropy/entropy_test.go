package entropy

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

func sample(n int, gen func(i int) string) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = gen(i)
	}
	return ids
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestEstimates(t *testing.T) {
	const n = 400
	for _, tc := range []struct {
		name     string
		gen      func(int) string
		min, max float64
	}{
		{"256-bit base64url", func(int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }, 240, 265},
		{"128-bit hex", func(int) string { return hex.EncodeToString(randomBytes(16)) }, 126, 130},
		{"96-bit base64url", func(int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(12)) }, 90, 99},
		{"32-bit hex", func(int) string { return hex.EncodeToString(randomBytes(4)) }, 30, 33},
		{"timestamp plus counter", func(i int) string { return fmt.Sprintf("%d-%06d", time.Now().Unix(), i) }, 0, 20},
	} {
		e := Of(sample(n, tc.gen))
		if e.Bits < tc.min || e.Bits > tc.max {
			t.Errorf("%s: estimated %.1f bits, want %.0f..%.0f", tc.name, e.Bits, tc.min, tc.max)
		}
	}
}

func TestDuplicates(t *testing.T) {
	e := Of([]string{"a1", "b2", "a1"})
	if e.Distinct != 2 || len(e.Duplicates) != 1 || e.Duplicates[0] != "a1" {
		t.Errorf("got %+v", e)
	}
}
