package entropy

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
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
// is credited 128 bits in the samples of the smallest size the suite uses
// for hex, and the ID one bit short never is. A true ID falls short about
// once in 600,000 samples (see the package comment), so one shortfall in
// 300 is chance and two (about 1e-7 in a correct estimator) a bias.
func TestThresholdIsExact(t *testing.T) {
	short := 0
	for i := range 300 {
		if e := Of(sample(MinSamples(16), hex128)); e.Bits < 128 {
			short++
			t.Logf("sample %d: a 128-bit ID credited %.3f bits (%d of 32 positions judged uniform)", i, e.Bits, e.Uniform)
		}
		if e := Of(sample(MinSamples(16), hex127)); e.Bits >= 128 {
			t.Fatalf("sample %d: a 127-bit ID credited %.3f bits", i, e.Bits)
		}
	}
	if short > 1 {
		t.Errorf("a true 128-bit ID was credited fewer than 128 bits in %d of 300 samples", short)
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
	// The exact upper 1e-8 points (regularized incomplete gamma). The
	// approximation never errs low (which would judge uniform positions
	// non-uniform); it errs high by 7 for df 1 (a two-character
	// alphabet, a bit per position at most) and by under 2 from df 15.
	for _, c := range []struct {
		df          int
		exact, over float64
	}{{1, 32.84, 8}, {15, 68.03, 2}, {35, 103.72, 2}, {63, 147.46, 2}} {
		if got := criticalChi2(c.df); got < c.exact || got-c.exact > c.over {
			t.Errorf("df %d: %.2f, want %.2f to %.2f", c.df, got, c.exact, c.exact+c.over)
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

// TestFalseRejectionRate measures what the package comment states: how
// often the test judges a truly uniform position non-uniform at the
// smallest sample, per alphabet. It takes minutes, so it runs only when
// asked: SESSIONCONF_ENTROPY_TRIALS=40000000 go test -run FalseRejection -v
func TestFalseRejectionRate(t *testing.T) {
	trials, _ := strconv.Atoi(os.Getenv("SESSIONCONF_ENTROPY_TRIALS"))
	if trials == 0 {
		t.Skip("set SESSIONCONF_ENTROPY_TRIALS to measure")
	}
	r := mrand.New(mrand.NewPCG(1, 2))
	for _, cells := range []int{16, 36, 64} {
		n := MinSamples(cells)
		rejected := 0
		counts := map[byte]int{}
		for range trials {
			clear(counts)
			for range n {
				counts[byte(r.IntN(cells))]++
			}
			if !uniform(counts, cells, float64(n)) {
				rejected++
			}
		}
		t.Logf("%d characters, %d IDs: %d of %d uniform positions judged non-uniform (%.1e; Alpha %.0e)", cells, n, rejected, trials, float64(rejected)/float64(trials), Alpha)
	}
}
