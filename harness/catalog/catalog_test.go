package catalog

import (
	"regexp"
	"testing"
)

var idPattern = regexp.MustCompile(`^(PERSIST|LIFE|CLEAR|TOKEN|COOKIE|ROBUST|PROFILE)-[1-9][0-9]*$`)

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
	if len(seen) != 50 {
		t.Errorf("catalog has %d requirements, the research catalog 50", len(seen))
	}
}

func TestMatch(t *testing.T) {
	if got := Match("LIFE-*"); len(got) != 8 {
		t.Errorf(`Match("LIFE-*") = %v, want the 8 LIFE requirements`, got)
	}
	if got := Match("LIFE-1"); len(got) != 1 || got[0] != "LIFE-1" {
		t.Errorf(`Match("LIFE-1") = %v`, got)
	}
	if got := Match("NOPE-*"); len(got) != 0 {
		t.Errorf(`Match("NOPE-*") = %v, want none`, got)
	}
}
