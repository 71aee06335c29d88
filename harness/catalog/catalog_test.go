package catalog

import (
	"regexp"
	"testing"
)

var idPattern = regexp.MustCompile(`^(PERSIST|LIFE|CLEAR|TOKEN|COOKIE|ROBUST|PROFILE|FAILOVER|CLUSTER)-[1-9][0-9]*$`)

func TestCatalogIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All() {
		if !idPattern.MatchString(r.ID) {
			t.Errorf("%s: ID does not match %s", r.ID, idPattern)
		}
		if seen[r.ID] {
			t.Errorf("%s: duplicate ID", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || r.Text == "" || r.Source == "" {
			t.Errorf("%s: title, text and source are all required", r.ID)
		}
		if r.Level != Must && r.Level != Should && r.Level != May {
			t.Errorf("%s: level %q", r.ID, r.Level)
		}
		if len(r.Profiles) == 0 {
			t.Errorf("%s: applies to no profile", r.ID)
		}
		for _, p := range Profiles {
			if !r.AppliesTo(p) && r.NotApplicable[p] == "" {
				t.Errorf("%s: no reason why it does not apply to %s", r.ID, p)
			}
		}
	}
	for _, id := range published {
		if !seen[id] {
			t.Errorf("%s was published and is gone: IDs are never removed, renamed or reused", id)
		}
		delete(seen, id)
	}
	for id := range seen {
		t.Errorf("%s is new: add it to published, once, and never reuse it", id)
	}
}

// published is every ID ever released, in the order it appeared. A
// known-failing list or a CI filter written against any of them keeps
// working: an ID is only ever added here.
var published = []string{
	"PERSIST-1", "PERSIST-2", "PERSIST-3", "PERSIST-4", "PERSIST-5", "PERSIST-6", "PERSIST-7",
	"LIFE-1", "LIFE-2", "LIFE-3", "LIFE-4", "LIFE-5", "LIFE-6", "LIFE-7", "LIFE-8",
	"CLEAR-1", "CLEAR-2", "CLEAR-3", "CLEAR-4", "CLEAR-5", "CLEAR-6", "CLEAR-7", "CLEAR-8",
	"TOKEN-1", "TOKEN-2", "TOKEN-3", "TOKEN-4", "TOKEN-5", "TOKEN-6", "TOKEN-7", "TOKEN-8",
	"TOKEN-9", "TOKEN-10", "TOKEN-11", "TOKEN-12",
	"COOKIE-1", "COOKIE-2", "COOKIE-3", "COOKIE-4", "COOKIE-5", "COOKIE-6", "COOKIE-7",
	"ROBUST-1", "ROBUST-2", "ROBUST-3", "ROBUST-4", "ROBUST-5", "ROBUST-6", "ROBUST-7",
	"PROFILE-1",
	// 2026-12-06: the 400-day cap, split from LIFE-3.
	"LIFE-9",
	// 2026-12-07: the Redis Sentinel and Cluster profiles (issue 14).
	"FAILOVER-1", "FAILOVER-2", "FAILOVER-3", "FAILOVER-4",
	"CLUSTER-1", "CLUSTER-2",
}

func TestMatch(t *testing.T) {
	if got := Match("LIFE-*"); len(got) != 9 {
		t.Errorf(`Match("LIFE-*") = %v, want the 9 LIFE requirements`, got)
	}
	if got := Match("LIFE-1"); len(got) != 1 || got[0] != "LIFE-1" {
		t.Errorf(`Match("LIFE-1") = %v`, got)
	}
	if got := Match("NOPE-*"); len(got) != 0 {
		t.Errorf(`Match("NOPE-*") = %v, want none`, got)
	}
}
