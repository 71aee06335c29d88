package results

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// parsedJUnit is junit.xml as a CI server reads it, declared apart from
// the writer's types so a wrong tag cannot agree with itself.
type parsedJUnit struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Timestamp  string `xml:"timestamp,attr"`
		Hostname   string `xml:"hostname,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			ClassName string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Body string `xml:",chardata"`
			} `xml:"error"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func (p parsedJUnit) property(suite int, name string) string {
	for _, pr := range p.Suites[suite].Properties {
		if pr.Name == name {
			return pr.Value
		}
	}
	return ""
}

func TestJUnitShape(t *testing.T) {
	project := t.TempDir()
	t.Setenv("CI_PROJECT_DIR", project)
	reports := filepath.Join(project, "out", "reports")
	httpStart := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	outside := filepath.Join(t.TempDir(), "elsewhere.log")
	r := &Run{
		SuiteVersion: "9.9.9", Target: Target{Name: "flask", Manifest: "ci/flask.yaml"},
		Profiles: []string{"filesystem", "redis"}, Started: httpStart,
		SuiteRuns: []SuiteRun{
			{Profile: "filesystem", Suite: "http", Seed: 1234, Started: httpStart},
			{Profile: "filesystem", Suite: "browser", Seed: 99, Started: httpStart.Add(time.Minute)},
			{Profile: "redis", Suite: "http", Seed: 777, Started: httpStart},
		},
		Results: []Result{
			{Requirement: "COOKIE-1", Title: "HttpOnly", Level: "MUST", Profile: "filesystem", Suite: "http", Status: Pass,
				Evidence: []Evidence{{Name: "journal.txt", Path: "filesystem/http/evidence/COOKIE-1/journal.txt"}}},
			{Requirement: "PERSIST-1", Title: "Survives a restart", Level: "MUST", Profile: "filesystem", Suite: "browser", Status: Fail,
				Messages:  []string{"still on the login page\nafter the restart", "second"},
				Reproduce: "sessionconf run -target ci/flask.yaml -profiles filesystem -suites browser -label-filter 'PERSIST-1' -keep",
				Evidence: []Evidence{
					{Name: "journal.txt", Path: "filesystem/browser/evidence/PERSIST-1/journal.txt"},
					{Name: "after-restart.png", Path: "filesystem/browser/evidence/PERSIST-1/after-restart.png"},
					{Name: "elsewhere.log", Path: outside},
				}},
			{Requirement: "LIFE-7", Title: "TTL", Level: "MUST", Profile: "redis", Suite: "http", Status: Error,
				Messages: []string{"redis did not start"}, Reproduce: "sessionconf run -target ci/flask.yaml -profiles redis -suites http -label-filter 'LIFE-7' -keep"},
		},
	}
	if _, err := r.WriteJUnit(reports); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(reports, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc parsedJUnit
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	if len(doc.Suites) != 3 {
		t.Fatalf("want a testsuite per profile and suite, got %d:\n%s", len(doc.Suites), data)
	}
	host, _ := os.Hostname()
	for i, want := range []struct{ name, class, profile, suite, seed, stamp string }{
		{"flask/filesystem/http", "sessionconf.filesystem.http", "filesystem", "http", "1234", "2026-03-04T05:06:07"},
		{"flask/filesystem/browser", "sessionconf.filesystem.browser", "filesystem", "browser", "99", "2026-03-04T05:07:07"},
		{"flask/redis/http", "sessionconf.redis.http", "redis", "http", "777", "2026-03-04T05:06:07"},
	} {
		s := doc.Suites[i]
		if s.Name != want.name || s.Cases[0].ClassName != want.class {
			t.Errorf("suite %d: name %q classname %q, want %q %q", i, s.Name, s.Cases[0].ClassName, want.name, want.class)
		}
		if s.Timestamp != want.stamp || s.Hostname != host || host == "" {
			t.Errorf("suite %s: timestamp %q hostname %q, want %q %q", s.Name, s.Timestamp, s.Hostname, want.stamp, host)
		}
		for name, value := range map[string]string{"target": "flask", "profile": want.profile, "suite": want.suite,
			"sessionconf_version": "9.9.9", "seed": want.seed, "manifest": "ci/flask.yaml"} {
			if got := doc.property(i, name); got != value {
				t.Errorf("suite %s: property %s = %q, want %q", s.Name, name, got, value)
			}
		}
	}

	pass := doc.Suites[0].Cases[0]
	if strings.Contains(pass.SystemOut, "[[ATTACHMENT|") || !strings.Contains(pass.SystemOut, "journal.txt: filesystem/http/evidence/COOKIE-1/journal.txt") {
		t.Errorf("a passing case lists its evidence without attachments, got %q", pass.SystemOut)
	}
	fail := doc.Suites[1].Cases[0]
	if fail.Failure == nil || fail.Failure.Message != "still on the login page" {
		t.Fatalf("the failure's message is not its first line: %+v", fail.Failure)
	}
	if !strings.HasSuffix(fail.Failure.Body, "\n\nReproduce: "+r.Results[1].Reproduce) || !strings.Contains(fail.Failure.Body, "second") {
		t.Errorf("the failure text lacks the messages or the reproduce command:\n%s", fail.Failure.Body)
	}
	lines := strings.Split(strings.TrimSpace(fail.SystemOut), "\n")
	want := []string{
		"[[ATTACHMENT|out/reports/filesystem/browser/evidence/PERSIST-1/after-restart.png]]", // the screenshot first: GitLab shows the first
		"[[ATTACHMENT|out/reports/filesystem/browser/evidence/PERSIST-1/journal.txt]]",
		"[[ATTACHMENT|" + filepath.ToSlash(outside) + "]]", // outside the project: absolute
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("attachment lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if e := doc.Suites[2].Cases[0].Error; e == nil || !strings.Contains(e.Body, "Reproduce: sessionconf run") {
		t.Errorf("the error case lacks its reproduce command: %+v", e)
	}
	if !regexp.MustCompile(`^<\?xml`).Match(data) {
		t.Error("junit.xml has no XML declaration")
	}
}

func TestAttachmentsAreRelativeToTheWorkingDirectoryOutsideCI(t *testing.T) {
	t.Setenv("CI_PROJECT_DIR", "")
	t.Setenv("WORKSPACE", "")
	wd := t.TempDir()
	t.Chdir(wd)
	got := attachmentPath(filepath.Join(wd, "reports"), "redis/http/evidence/X-1/journal.txt", attachmentBase())
	if got != "reports/redis/http/evidence/X-1/journal.txt" {
		t.Errorf("got %q", got)
	}
}
