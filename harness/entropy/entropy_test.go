package entropy

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
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

func hex128(int) string { return hex.EncodeToString(randomBytes(16)) }

// One bit short of 128: the first hex digit is 0-7.
func hex127(int) string {
	b := randomBytes(16)
	b[0] &= 0x7f
	return hex.EncodeToString(b)
}

// PHP's default IDs: 26 characters of 0-9a-v, 5 bits each.
var phpAlphabet = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

func php130(int) string { return phpAlphabet.EncodeToString(randomBytes(17))[:26] }

func TestEstimates(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        int
		gen      func(int) string
		min, max float64
	}{
		{"256-bit base64url", 400, func(int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }, 256, 256},
		{"128-bit base64url (22 characters, the last holds 2 bits)", 400, func(int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(16)) }, 128, 128},
		{"128-bit hex", 100, hex128, 128, 128},
		{"127-bit hex", 100, hex127, 126.5, 127.5},
		{"PHP 26 x 5 bits", 200, php130, 130, 130},
		{"UUIDv4", 100, func(int) string { return uuid.NewString() }, 122, 122},
		{"96-bit base64url", 400, func(int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(12)) }, 96, 96},
		{"32-bit hex", 100, func(int) string { return hex.EncodeToString(randomBytes(4)) }, 32, 32},
		{"timestamp plus counter", 400, func(i int) string { return fmt.Sprintf("%d-%06d", time.Now().Unix(), i) }, 0, 20},
	} {
		e := Of(sample(tc.n, tc.gen))
		if e.Bits < tc.min-1e-9 || e.Bits > tc.max+1e-9 {
			t.Errorf("%s: credited %.2f bits (%d uniform positions of %d), want %.1f..%.1f", tc.name, e.Bits, e.Uniform, e.Length, tc.min, tc.max)
		}
	}
}

// The estimator is not biased low at its threshold: a true 128-bit ID
// is credited 128 bits in every one of many samples of the smallest size
// the suite uses for hex, and the ID one bit short never is.
func TestThresholdIsExact(t *testing.T) {
	for i := range 300 {
		if e := Of(sample(MinSamples(16), hex128)); e.Bits < 128 {
			t.Fatalf("sample %d: a 128-bit ID credited %.3f bits (%d of 32 positions judged uniform)", i, e.Bits, e.Uniform)
		}
		if e := Of(sample(MinSamples(16), hex127)); e.Bits >= 128 {
			t.Fatalf("sample %d: a 127-bit ID credited %.3f bits", i, e.Bits)
		}
	}
}

func TestAlphabetAndMinSamples(t *testing.T) {
	for _, tc := range []struct {
		gen  func(int) string
		want int
	}{
		{hex128, 16}, {php130, 32},
		{func(int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }, 64},
		{func(int) string { return uuid.NewString() }, 16}, // the dashes never vary
	} {
		if got := Alphabet(sample(400, tc.gen)); got != tc.want {
			t.Errorf("alphabet of %q: %d, want %d", tc.gen(0), got, tc.want)
		}
	}
	if MinSamples(64) != 320 {
		t.Errorf("MinSamples(64) = %d", MinSamples(64))
	}
}

func TestCriticalValue(t *testing.T) {
	// The exact upper 1e-6 points (regularized incomplete gamma); the
	// approximation errs high for df 1, which only credits more readily.
	for df, want := range map[int]float64{1: 23.93, 15: 56.49, 63: 131.37} {
		if got := criticalChi2(df); got < want || got-want > 4 {
			t.Errorf("df %d: %.1f, want about %.1f", df, got, want)
		}
	}
}

func TestDuplicates(t *testing.T) {
	e := Of([]string{"a1", "b2", "a1"})
	if e.Distinct != 2 || len(e.Duplicates) != 1 || e.Duplicates[0] != "a1" {
		t.Errorf("got %+v", e)
	}
	if strings.Join(e.Duplicates, "") != "a1" {
		t.Error(e.Duplicates)
	}
}
