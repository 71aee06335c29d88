package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/harness/results/schemacheck"
)

// representative is a run with every status, evidence inside and beside
// the report directory, several manifests, suite runs, known-failing,
// not-checked MUSTs: every field the writer can write.
func representative(t *testing.T, dir string) *Run {
	t.Helper()
	started := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	res := func(id string, s Status) Result {
		return Result{Requirement: id, Level: "MUST", Title: id + " title", Profile: "redis", Suite: "http", Status: s, Duration: 0.25,
			Location: "/build/x/suites/conformance/life_test.go:42"}
	}
	fail := res("COOKIE-1", Fail)
	fail.Messages = []string{"Set-Cookie lacks HttpOnly", "second"}
	fail.Evidence = []Evidence{
		{Name: "journal.txt", Path: filepath.Join(dir, "redis", "http", "evidence", "COOKIE-1", "journal.txt")}, // absolute: made relative
		{Name: "target-a-1.log", Path: "redis/http/evidence/COOKIE-1/target-a-1.log"},
	}
	errored := res("LIFE-4", Error)
	errored.Suite, errored.Messages = "browser", []string{"chromium did not start"}
	xpass := res("PERSIST-1", XPass)
	xpass.Messages = []string{"PERSIST-1 passed, but known.txt:3 lists it"}
	xfail := res("TOKEN-10", XFail)
	xfail.Level, xfail.Reason, xfail.Messages = "SHOULD", "known.txt:1: pickles", []string{"pickle found"}
	unsupported := res("LIFE-7", Unsupported)
	unsupported.Profile, unsupported.Reason = "cookie", "TTLs are a Redis concept"
	notChecked := res("LIFE-3", Unsupported)
	notChecked.NotChecked, notChecked.Reason = true, "the manifest declares no idle timeout"
	skipped := res("ROBUST-1", Skipped)
	skipped.Level, skipped.Reason = "MAY", "not selected by this run's filters"

	r := &Run{
		SuiteVersion: "0.2.0",
		Target:       Target{Name: "flask", Manifest: filepath.Join(dir, "..", "ci", "flask-redis.yaml") + ", " + filepath.Join(dir, "..", "ci", "flask-cookie.yaml"), Mode: "process"},
		Profiles:     []string{"redis", "cookie"}, Redis: "container", Browser: "chromium 140",
		Started: started, Duration: 42.5, Filtered: true, KnownFailing: filepath.Join(dir, "..", "ci", "known.txt"),
		SuiteRuns: []SuiteRun{
			{Profile: "redis", Suite: "http", Seed: 1712345, Started: started, Measured: true, Start: 0.4, Login: 0.08},
			{Profile: "cookie", Suite: "http", Measured: false},
		},
		Results: []Result{res("PERSIST-2", Pass), fail, errored, xpass, xfail, unsupported, notChecked, skipped},
	}
	r.FillReproduce(Rerun{Targets: map[string]string{"redis": "ci/flask-redis.yaml", "cookie": "ci/flask-cookie.yaml"}, Flags: []string{"-known-failing", "ci/known.txt"}})
	return r
}

func TestWrittenResultsMatchThePublishedSchema(t *testing.T) {
	dir := t.TempDir()
	p, err := representative(t, dir).WriteJSON(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := schemacheck.Validate(p); err != nil {
		t.Fatalf("results.json does not match %s:\n%v", schemacheck.Path(), err)
	}
	// The sample is representative: every key the types can write is in it.
	data, _ := os.ReadFile(p)
	var doc any
	json.Unmarshal(data, &doc)
	seen := map[string]bool{}
	collectKeys(doc, "", seen)
	for _, k := range []string{"redis_provider", "browser", "known_failing", "suite_runs[].seed", "suite_runs[].started",
		"results[].messages", "results[].reason", "results[].not_checked", "results[].evidence[].path", "results[].location", "results[].reproduce"} {
		if !seen[k] {
			t.Errorf("the representative run writes no %s: the schema check proves nothing about it", k)
		}
	}
	// Nothing absolute, nothing null.
	if strings.Contains(string(data), `"`+dir) || strings.Contains(string(data), "null") {
		t.Errorf("results.json has an absolute path or a null:\n%s", data)
	}

	empty := &Run{}
	p, err = empty.WriteJSON(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := schemacheck.Validate(p); err != nil {
		t.Errorf("a run with no results does not match the schema: %v", err)
	}
}

func collectKeys(v any, at string, seen map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			key := strings.TrimPrefix(at+"."+k, ".")
			seen[key] = true
			collectKeys(c, key, seen)
		}
	case []any:
		for _, c := range v {
			collectKeys(c, at+"[]", seen)
		}
	}
}

// TestTheSchemaRefuses shows the schema has teeth: each edit of a valid
// file breaks one promise and must be refused.
func TestTheSchemaRefuses(t *testing.T) {
	dir := t.TempDir()
	p, err := representative(t, dir).WriteJSON(dir)
	if err != nil {
		t.Fatal(err)
	}
	valid, _ := os.ReadFile(p)
	for name, edit := range map[string]func(doc map[string]any){
		"an unknown top-level field":  func(d map[string]any) { d["surprise"] = 1 },
		"an unknown result field":     func(d map[string]any) { result(d, 0)["surprise"] = 1 },
		"another schema version":      func(d map[string]any) { d["schema"] = "sessionconf.results/v1" },
		"an unknown status":           func(d map[string]any) { result(d, 0)["status"] = "passed" },
		"an unknown level":            func(d map[string]any) { result(d, 0)["level"] = "MUSTN'T" },
		"an unknown verdict":          func(d map[string]any) { d["verdict"] = "ok" },
		"a status missing in summary": func(d map[string]any) { delete(d["summary"].(map[string]any), "xpass") },
		"an absolute evidence path": func(d map[string]any) {
			result(d, 1)["evidence"].([]any)[0].(map[string]any)["path"] = "/tmp/journal.txt"
		},
		"an absolute manifest":           func(d map[string]any) { d["target"].(map[string]any)["manifest"] = "ci/a.yaml, /abs/b.yaml" },
		"a failure with no reproduce":    func(d map[string]any) { delete(result(d, 1), "reproduce") },
		"a pass with a reproduce":        func(d map[string]any) { result(d, 0)["reproduce"] = "sessionconf run -target x" },
		"not_checked on a failure":       func(d map[string]any) { result(d, 1)["not_checked"] = true },
		"a start that is not a date":     func(d map[string]any) { d["started"] = "yesterday" },
		"a missing required field":       func(d map[string]any) { delete(d, "filtered") },
		"a suite run with a stray field": func(d map[string]any) { d["suite_runs"].([]any)[0].(map[string]any)["cpu"] = 2 },
	} {
		var doc map[string]any
		if err := json.Unmarshal(valid, &doc); err != nil {
			t.Fatal(err)
		}
		edit(doc)
		data, _ := json.Marshal(doc)
		if err := schemacheck.ValidateBytes(data); err == nil {
			t.Errorf("the schema accepts %s", name)
		}
	}
}

func result(doc map[string]any, i int) map[string]any {
	return doc["results"].([]any)[i].(map[string]any)
}

// TestTheSchemaNamesEveryField fails when a field is added to (or
// removed from) a Go type of results.json but not the schema: the schema
// forbids unknown properties, so such a file would fail every reader
// that validates it.
func TestTheSchemaNamesEveryField(t *testing.T) {
	for pointer, typ := range map[string]reflect.Type{
		"":                   reflect.TypeFor[Run](),
		"/properties/target": reflect.TypeFor[Target](),
		"/$defs/suiteRun":    reflect.TypeFor[SuiteRun](),
		"/$defs/result":      reflect.TypeFor[Result](),
		"/$defs/evidence":    reflect.TypeFor[Evidence](),
	} {
		props, required, err := schemacheck.Properties(pointer)
		if err != nil {
			t.Fatal(err)
		}
		fields, always := jsonFields(typ)
		slices.Sort(props)
		slices.Sort(required)
		if !slices.Equal(props, fields) {
			t.Errorf("%s: the schema (%s) names %q, the Go type writes %q", typ, pointer, props, fields)
		}
		if !slices.Equal(required, always) {
			t.Errorf("%s: the schema requires %q, the Go type always writes %q", typ, required, always)
		}
	}
	props, required, err := schemacheck.Properties("/properties/summary")
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, s := range Statuses {
		statuses = append(statuses, string(s))
	}
	slices.Sort(statuses)
	slices.Sort(props)
	slices.Sort(required)
	if !slices.Equal(props, statuses) || !slices.Equal(required, statuses) {
		t.Errorf("summary: the schema names %q and requires %q; the statuses are %q", props, required, statuses)
	}
}

// jsonFields returns the JSON names a struct type writes, and those it
// writes always (no omitempty or omitzero), sorted.
func jsonFields(typ reflect.Type) (all, always []string) {
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			always = append(always, name)
		}
	}
	slices.Sort(all)
	slices.Sort(always)
	return all, always
}
