package results

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func run(statuses ...Status) *Run {
	r := &Run{Target: Target{Name: "t"}, Profiles: []string{"filesystem"}, Started: time.Now()}
	for i, s := range statuses {
		r.Results = append(r.Results, Result{Requirement: "R-" + string(rune('A'+i)), Profile: "filesystem", Suite: "http", Status: s, Messages: []string{"msg <b>" + string(s) + "</b>"}})
	}
	return r
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		statuses []Status
		ok       bool
	}{
		{[]Status{Pass, Unsupported, XFail, Skipped}, true},
		{[]Status{Pass, Fail}, false},
		{[]Status{Pass, Error}, false},
		{[]Status{Pass, XPass}, false},
		{[]Status{Unsupported, Skipped}, false}, // nothing ran
		{nil, false},
	} {
		if got := run(tc.statuses...).OK(); got != tc.ok {
			t.Errorf("OK(%v) = %v, want %v", tc.statuses, got, tc.ok)
		}
	}
}

func TestJSONRoundTripAndSchema(t *testing.T) {
	dir := t.TempDir()
	r := run(Pass, Fail, XFail)
	p, err := r.WriteJSON(dir)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(p)
	if err != nil {
		t.Fatal(err)
	}
	if back.Summary[Pass] != 1 || back.Summary[Fail] != 1 || back.Summary[XFail] != 1 || len(back.Results) != 3 {
		t.Errorf("round trip: %+v", back.Summary)
	}
	os.WriteFile(filepath.Join(dir, "old.json"), []byte(`{"schema":"sessionconf.results/v0"}`), 0o644)
	if _, err := ReadJSON(filepath.Join(dir, "old.json")); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("another schema must be refused, got %v", err)
	}
}

func TestJUnitMapsStatuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(Pass, Fail, Error, XPass, XFail, Unsupported).WriteJUnit(dir); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	if doc.Tests != 6 || doc.Failures != 2 || doc.Errors != 1 || doc.Skipped != 2 {
		t.Errorf("tests %d failures %d errors %d skipped %d; want 6/2 (fail, xpass)/1/2 (xfail, unsupported)", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Failures != 2 || doc.Suites[0].Errors != 1 || doc.Suites[0].Skipped != 2 {
		t.Errorf("the testsuite's counts do not add up: %+v", doc.Suites)
	}
	if !strings.Contains(string(data), "msg &lt;b&gt;fail&lt;/b&gt;") {
		t.Error("messages must be escaped in junit.xml")
	}
}

func TestMerge(t *testing.T) {
	a := run(Pass)
	b := run(Fail)
	b.Profiles, b.Results[0].Profile = []string{"redis"}, "redis"
	b.Started = a.Started.Add(time.Second)
	b.Duration = 2
	m := Merge(a, b)
	if len(m.Results) != 2 || len(m.Profiles) != 2 || m.OK() {
		t.Errorf("merge: %d results, profiles %v, ok %v", len(m.Results), m.Profiles, m.OK())
	}
	if m.Duration < 3 {
		t.Errorf("merged duration %v should span both runs", m.Duration)
	}
}
