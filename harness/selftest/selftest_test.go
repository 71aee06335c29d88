package selftest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/results"
)

func mustList(t *testing.T, text string) *knownfail.List {
	t.Helper()
	l, err := knownfail.Parse([]byte(text), "expected.known-failing")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func res(id, profile string, s results.Status, msg ...string) results.Result {
	return results.Result{Requirement: id, Profile: profile, Suite: "http", Status: s, Messages: msg}
}

func TestJudgeMutant(t *testing.T) {
	list := mustList(t, `
COOKIE-1@filesystem  # no HttpOnly
COOKIE-1@cookie      # no HttpOnly
`)
	for name, tc := range map[string]struct {
		results    []results.Result
		status     string
		caught     []string
		missed     []string
		unexpected []string
		vacuous    []string
	}{
		"killed": {
			results: []results.Result{res("COOKIE-1", "filesystem", results.XFail), res("COOKIE-1", "cookie", results.XFail), res("COOKIE-3", "cookie", results.Pass)},
			status:  mutantKilled, caught: []string{"COOKIE-1@filesystem", "COOKIE-1@cookie"},
		},
		"survived: every expected failure passed": {
			results: []results.Result{res("COOKIE-1", "filesystem", results.XPass), res("COOKIE-1", "cookie", results.XPass)},
			status:  mutantSurvived, missed: []string{"COOKIE-1@filesystem", "COOKIE-1@cookie"},
		},
		"one expectation stale": {
			results: []results.Result{res("COOKIE-1", "filesystem", results.XFail), res("COOKIE-1", "cookie", results.XPass)},
			status:  mutantWrong, caught: []string{"COOKIE-1@filesystem"}, missed: []string{"COOKIE-1@cookie"},
		},
		"an unexpected failure": {
			results: []results.Result{res("COOKIE-1", "filesystem", results.XFail), res("COOKIE-1", "cookie", results.XFail), res("LIFE-4", "cookie", results.Fail, "the cookie is not persistent\nmore")},
			status:  mutantWrong, caught: []string{"COOKIE-1@filesystem", "COOKIE-1@cookie"}, unexpected: []string{"LIFE-4@cookie"},
		},
		"an entry whose spec never ran": {
			results: []results.Result{res("COOKIE-1", "filesystem", results.XFail), res("COOKIE-1", "cookie", results.Skipped)},
			status:  mutantWrong, caught: []string{"COOKIE-1@filesystem"}, vacuous: []string{"COOKIE-1@cookie"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			v := judgeMutant("no-httponly", "no HttpOnly", list, &results.Run{Results: tc.results})
			if v.Status != tc.status {
				t.Errorf("status %q, want %q (problems: %v)", v.Status, tc.status, v.Problems())
			}
			for what, got := range map[string][2][]string{
				"caught": {v.Caught, tc.caught}, "missed": {v.Missed, tc.missed},
				"unexpected": {v.Unexpected, tc.unexpected}, "vacuous": {v.Vacuous, tc.vacuous},
			} {
				if !slices.Equal(got[0], got[1]) {
					t.Errorf("%s = %v, want %v", what, got[0], got[1])
				}
			}
			if v.OK() != (tc.status == mutantKilled) {
				t.Errorf("OK() = %v for status %s", v.OK(), v.Status)
			}
			if tc.status != mutantKilled && len(v.Problems()) == 0 {
				t.Error("a mutant that is not killed must say why")
			}
		})
	}
}

func TestJudgeMutantErrorsWin(t *testing.T) {
	list := mustList(t, "ROBUST-2@redis  # fail open\n")
	v := judgeMutant("redis-fail-open", "", list, &results.Run{Results: []results.Result{
		res("ROBUST-2", "redis", results.XFail),
		res("ROBUST-3", "redis", results.Error, "redis did not start"),
	}})
	if v.Status != mutantError || !slices.Equal(v.Errors, []string{"ROBUST-3@redis"}) || v.Messages["ROBUST-3@redis"] != "redis did not start" {
		t.Errorf("got %+v, want status error with ROBUST-3@redis and its message", v)
	}
}

func TestJudgeMutantGlobEntry(t *testing.T) {
	// A glob entry is satisfied by any spec it matches that ran; an entry
	// without a profile covers every profile.
	list := mustList(t, "LIFE-*  # expiry is not checked\n")
	v := judgeMutant("m", "", list, &results.Run{Results: []results.Result{
		res("LIFE-1", "filesystem", results.XFail), res("LIFE-2", "filesystem", results.XPass), res("LIFE-7", "filesystem", results.Unsupported),
	}})
	if v.Status != mutantWrong || !slices.Equal(v.Missed, []string{"LIFE-2@filesystem"}) || len(v.Vacuous) != 0 {
		t.Errorf("got %+v", v)
	}
}

func TestScoreSelftest(t *testing.T) {
	reqs := []catalog.Requirement{
		{ID: "COOKIE-1", Level: catalog.Must, Title: "HttpOnly"},
		{ID: "COOKIE-3", Level: catalog.Must, Title: "SameSite"},
		{ID: "COOKIE-4", Level: catalog.Should, Title: "__Host-"},
		{ID: "LIFE-6", Level: catalog.May, Title: "Idle timeout"},
	}
	verdicts := []Verdict{
		{Mutant: "no-httponly", Status: mutantKilled, Caught: []string{"COOKIE-1@filesystem", "COOKIE-1@cookie"}},
		{Mutant: "domain-cookie", Status: mutantWrong, Caught: []string{"COOKIE-4@filesystem"}, Unexpected: []string{"COOKIE-1@filesystem"}},
		{Mutant: "no-idle-timeout", Status: mutantSurvived, Missed: []string{"LIFE-6@cookie"}},
		{Mutant: "broken", Status: mutantError, Errors: []string{"LIFE-6@redis"}},
	}
	s := scoreAll(verdicts, reqs)
	if s.Mutants != 4 || s.Killed != 1 || s.Caught != 2 {
		t.Errorf("mutants/killed/caught = %d/%d/%d, want 4/1/2", s.Mutants, s.Killed, s.Caught)
	}
	if !slices.Equal(s.Survived, []string{"no-idle-timeout"}) {
		t.Errorf("survived = %v (an error is not a survivor: nothing is known)", s.Survived)
	}
	if s.OK() {
		t.Error("a self-test with a survivor, a wrong list and an error must fail")
	}
	want := map[string][]string{
		"COOKIE-1": {"no-httponly@cookie", "no-httponly@filesystem"}, // an unexpected failure catches nothing
		"COOKIE-3": nil,
		"COOKIE-4": {"domain-cookie@filesystem"},
		"LIFE-6":   nil, // a survivor catches nothing
	}
	for _, c := range s.Requirements {
		if !slices.Equal(c.CaughtBy, want[c.ID]) {
			t.Errorf("%s caught by %v, want %v", c.ID, c.CaughtBy, want[c.ID])
		}
	}
	if !slices.Equal(s.Uncovered, []string{"COOKIE-3", "LIFE-6"}) || !slices.Equal(s.UncoveredMust, []string{"COOKIE-3"}) {
		t.Errorf("uncovered %v (MUST %v), want [COOKIE-3 LIFE-6] (MUST [COOKIE-3])", s.Uncovered, s.UncoveredMust)
	}
	line := s.scoreLine()
	for _, part := range []string{"FAIL", "mutation score 2/4 (50%)", "1 killed", "covered 2/4", "uncovered MUST 1"} {
		if !strings.Contains(line, part) {
			t.Errorf("score line %q lacks %q", line, part)
		}
	}
	md := s.markdown()
	for _, part := range []string{"| `no-httponly` |", "**uncovered**", "- COOKIE-3 (MUST)", "unexpected failure COOKIE-1@filesystem"} {
		if !strings.Contains(md, part) {
			t.Errorf("markdown lacks %q:\n%s", part, md)
		}
	}
}

func TestScoreSelftestAllKilled(t *testing.T) {
	reqs := []catalog.Requirement{{ID: "COOKIE-1", Level: catalog.Must}}
	s := scoreAll([]Verdict{{Mutant: "no-httponly", Status: mutantKilled, Caught: []string{"COOKIE-1@redis"}}}, reqs)
	if !s.OK() || len(s.Uncovered) != 0 || !strings.Contains(s.scoreLine(), "PASS") {
		t.Errorf("got %+v, line %q", s, s.scoreLine())
	}
	if scoreAll(nil, reqs).OK() {
		t.Error("a self-test without mutants proves nothing and must fail")
	}
}

func TestMergeRepeats(t *testing.T) {
	a := Verdict{Mutant: "upsert-replace", Status: mutantKilled, Caught: []string{"CLEAR-7@filesystem", "CLEAR-7@redis"}}
	b := Verdict{Mutant: "upsert-replace", Status: mutantWrong, Caught: []string{"CLEAR-7@filesystem"}, Missed: []string{"CLEAR-7@redis"}}
	v, unstable := mergeRepeats([]Verdict{a, a, b})
	if v.Status != mutantWrong {
		t.Errorf("status %q: a mutant caught only in some runs is not killed", v.Status)
	}
	if !slices.Equal(unstable, []string{"caught CLEAR-7@redis in 2 of 3 runs", "xpass CLEAR-7@redis in 1 of 3 runs"}) {
		t.Errorf("unstable = %q", unstable)
	}
	if v, u := mergeRepeats([]Verdict{a, a}); v.Status != mutantKilled || len(u) != 0 {
		t.Errorf("identical runs: %+v, unstable %v", v, u)
	}
}

func TestMutantFilter(t *testing.T) {
	m := &mutant{list: mustList(t, "TOKEN-2@redis  # 96 bits\nCLEAR-*  # a glob\n")}
	got := mutantFilter(Options{}, m, catalog.Redis)
	if got != "!(PERSIST-6 || TOKEN-1 || ROBUST-7)" {
		t.Errorf("filter %q: the load specs the mutant expects (TOKEN-2, CLEAR-7 by the glob) must run, the others not", got)
	}
	if got := mutantFilter(Options{Full: true, LabelFilter: "MUST"}, m, catalog.Redis); got != "MUST" {
		t.Errorf("-full with a label filter: %q", got)
	}
}

// In a topology profile a mutant runs what its list names there; a mutant
// of the topologies only runs the topology's own requirements too.
func TestMutantFilterTopologies(t *testing.T) {
	redisToo := &mutant{
		list:      mustList(t, "ROBUST-2@redis  # x\nROBUST-3@redis-cluster  # y\n"),
		manifests: []*manifest.Manifest{{Profiles: []catalog.Profile{catalog.Redis}}, {Profiles: []catalog.Profile{catalog.RedisCluster}}},
	}
	if got := mutantFilter(Options{}, redisToo, catalog.RedisCluster); got != "ROBUST-3" {
		t.Errorf("a mutant of the redis profile too, in redis-cluster: %q, want ROBUST-3", got)
	}
	only := &mutant{
		list:      mustList(t, "FAILOVER-1@redis-sentinel  # x\nROBUST-2  # y\n"),
		manifests: []*manifest.Manifest{{Profiles: []catalog.Profile{catalog.RedisSentinel}}},
	}
	if got := mutantFilter(Options{LabelFilter: "MUST"}, only, catalog.RedisSentinel); got != "(ROBUST-2 || FAILOVER-1 || FAILOVER-2 || FAILOVER-3 || FAILOVER-4) && (MUST)" {
		t.Errorf("a topology mutant in redis-sentinel: %q", got)
	}
	if got := mutantFilter(Options{Full: true}, only, catalog.RedisSentinel); got != "" {
		t.Errorf("-full: %q, want every spec", got)
	}
}

func TestLoadMutant(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "fixtures", "mutants", "no-httponly")
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.go", "// Mutant no-httponly: the session cookie is set without HttpOnly.\n//\n// Imitates a default.\npackage main\n\nfunc main() {}\n")
	write("filesystem.yaml", "name: m\nprofiles: [filesystem]\nprocess:\n  command: [bin/mutants/no-httponly]\n  workdir: ../../..\nknown_failing: expected.known-failing\n")
	write("expected.known-failing", "COOKIE-1@filesystem  # no HttpOnly\n")
	m, err := loadMutant(root, dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.fault != "the session cookie is set without HttpOnly" || len(m.manifests) != 1 || len(m.list.Entries) != 1 {
		t.Errorf("got %+v", m)
	}

	for name, tc := range map[string]struct{ file, text, want string }{
		"an entry for a profile without a manifest": {"expected.known-failing", "COOKIE-1@redis  # x\n", "no manifest for the redis profile"},
		"an empty list":            {"expected.known-failing", "# nothing\n", "empty"},
		"another binary":           {"filesystem.yaml", "name: m\nprofiles: [filesystem]\nprocess:\n  command: [bin/refserver]\n  workdir: ../../..\nknown_failing: expected.known-failing\n", "must run bin/mutants/no-httponly"},
		"no doc comment":           {"main.go", "package main\n", "doc comment"},
		"a doc comment of another": {"main.go", "// Mutant other: x.\npackage main\n", `must start "Mutant no-httponly: `},
		"no expected-failure list": {"filesystem.yaml", "name: m\nprofiles: [filesystem]\nprocess:\n  command: [bin/mutants/no-httponly]\n  workdir: ../../..\n", "known_failing must name"},
	} {
		t.Run(name, func(t *testing.T) {
			old, _ := os.ReadFile(filepath.Join(dir, tc.file))
			defer write(tc.file, string(old))
			write(tc.file, tc.text)
			if _, err := loadMutant(root, dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestMutantsLoad checks the real fixtures: every mutant has a fault, a
// manifest per profile running its own binary, and a valid list.
func TestMutantsLoad(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMutants(root, MutantsDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 40 {
		t.Errorf("only %d mutants", len(ms))
	}
	claimed := map[string]bool{}
	for _, m := range ms {
		for _, e := range m.list.Entries {
			for _, id := range catalog.Match(e.Pattern) {
				claimed[id] = true
			}
		}
	}
	for _, r := range catalog.All() {
		if r.Level == catalog.Must && !claimed[r.ID] {
			t.Errorf("no mutant's list expects the MUST requirement %s to fail", r.ID)
		}
	}
}
