package conform

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/results"
)

func TestVerdict(t *testing.T) {
	broke := []string{"the forged ID was adopted"}
	harness := errors.New("start a: was not ready after 20s")
	for _, tc := range []struct {
		name string
		e    ending
		want results.Status
		note string // a message that must be kept
	}{
		{"nothing recorded", ending{}, results.Pass, ""},
		{"a failure", ending{failures: broke}, results.Fail, broke[0]},
		{"a failure, then a setting the manifest cannot set", ending{failures: broke, outcome: outcome{unsupported: "settings.lifetime maps to no env var"}}, results.Fail, "settings.lifetime"},
		{"a failure, then a harness error", ending{failures: broke, outcome: outcome{infra: harness}}, results.Fail, "was not ready"},
		{"a listed failure, then unsupported", ending{failures: broke, outcome: outcome{unsupported: "x"}, listed: true}, results.XFail, broke[0]},
		{"unsupported alone", ending{outcome: outcome{unsupported: "x"}}, results.Unsupported, ""},
		{"unsupported, listed", ending{outcome: outcome{unsupported: "x"}, listed: true}, results.Unsupported, ""},
		{"a harness error alone", ending{outcome: outcome{infra: harness}}, results.Error, "was not ready"},
		{"a harness error, listed", ending{outcome: outcome{infra: harness}, listed: true}, results.Error, ""},
		{"a listed pass", ending{listed: true}, results.XPass, ""},
	} {
		got, msgs := verdict(tc.e)
		if got != tc.want {
			t.Errorf("%s: status %s, want %s", tc.name, got, tc.want)
		}
		if tc.note != "" && !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, tc.note) }) {
			t.Errorf("%s: messages %q lost %q", tc.name, msgs, tc.note)
		}
	}
}

// A failure recorded after the spec's context ended (a request cut off
// by the spec's own deadline) is not evidence against the target.
func TestFailuresAfterInterruptAreDropped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	tt := newT(ctx, catalog.MustGet("TOKEN-5"), catalog.Filesystem)
	tt.Errorf("dashboard: 500")
	cancel()
	tt.Errorf("dashboard: context canceled")
	if got := tt.Failures(); len(got) != 1 || got[0] != "dashboard: 500" {
		t.Errorf("failures %q, want only the one before the interrupt", got)
	}
}

func TestNearIdenticalFailuresAreGroupedAndCounted(t *testing.T) {
	failures := []string{
		"login: the session cookie lacks HttpOnly, so page scripts can read it: session=ab12cd; Path=/",
		"dashboard: the session cookie lacks HttpOnly, so page scripts can read it: session=99zz; Path=/",
		"login: the session cookie lacks HttpOnly, so page scripts can read it: session=ef34gh; Path=/",
		"login: the session cookie lacks HttpOnly, so page scripts can read it: session=x7; Path=/",
		"the logout left the record",
	}
	got := groupAlike(failures)
	want := []string{
		failures[0] + " (and 2 more like it; every one is in journal.txt)",
		failures[1],
		failures[4],
	}
	if !slices.Equal(got, want) {
		t.Fatalf("grouped\n%q\nwant\n%q", got, want)
	}
	status, msgs := verdict(ending{failures: failures})
	if status != results.Fail || len(msgs) != 3 {
		t.Fatalf("verdict gave %s with %d messages, want fail with the 3 groups", status, len(msgs))
	}
}
