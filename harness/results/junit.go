package results

import (
	"encoding/xml"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sessionconf/sessionconf/harness/version"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

// junitSuite is one suite run of one profile. Its fields are in the order
// the JUnit schema wants the elements: properties, then testcases.
type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       float64         `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// junitTimestamp is the JUnit schema's timestamp: ISO 8601 without a
// zone (we write UTC).
const junitTimestamp = "2006-01-02T15:04:05"

// WriteJUnit writes junit.xml into dir: one testsuite per profile and
// suite (classname sessionconf.<profile>.<suite>), one testcase per
// requirement. xpass is a failure, xfail and unsupported are skipped with
// their reason, so CI pages show the same verdict as the run. A failing
// testcase carries its reproduce command in the failure text, and its
// evidence as [[ATTACHMENT|path]] lines, which GitLab and Jenkins turn
// into links; evidence paths in dir's results are relative to dir.
func (r *Run) WriteJUnit(dir string) (string, error) {
	top := junitSuites{Name: "sessionconf " + r.Target.Name, Time: r.Duration}
	host, _ := os.Hostname()
	base := attachmentBase()
	bySuite := map[suiteKey]*junitSuite{}
	var order []suiteKey
	for _, res := range r.Results {
		key := suiteKey{res.Profile, suiteOf(res)}
		s, ok := bySuite[key]
		if !ok {
			s = r.newJUnitSuite(key, host)
			bySuite[key] = s
			order = append(order, key)
		}
		c := junitCaseOf(res, key, dir, base)
		s.Cases = append(s.Cases, c)
		s.Tests++
		s.Time += res.Duration
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	for _, k := range order {
		s := bySuite[k]
		top.Suites = append(top.Suites, *s)
		top.Tests += s.Tests
		top.Failures += s.Failures
		top.Errors += s.Errors
		top.Skipped += s.Skipped
	}
	data, err := xml.MarshalIndent(top, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "junit.xml")
	return p, writeFile(p, append([]byte(xml.Header), append(data, '\n')...))
}

// suiteKey names one suite run of one profile.
type suiteKey struct{ Profile, Suite string }

// suiteOf is a result's suite; results of v1 files may lack it, and then
// came from the HTTP suite, the only one there was.
func suiteOf(res Result) string {
	if res.Suite == "" {
		return "http"
	}
	return res.Suite
}

var classUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// ClassName is a result's JUnit classname: sessionconf.<profile>.<suite>,
// so CI pages group the results by profile, then suite.
func ClassName(res Result) string {
	return "sessionconf." + classUnsafe.ReplaceAllString(res.Profile, "_") + "." + classUnsafe.ReplaceAllString(suiteOf(res), "_")
}

// newJUnitSuite starts the testsuite of one suite run, with what a CI
// page needs to tell runs apart: the target, the profile and suite, the
// sessionconf version and the seed that ordered the specs.
func (r *Run) newJUnitSuite(key suiteKey, host string) *junitSuite {
	s := &junitSuite{Name: r.Target.Name + "/" + key.Profile + "/" + key.Suite, Hostname: host}
	started := r.Started
	props := []junitProperty{
		{"target", r.Target.Name},
		{"profile", key.Profile},
		{"suite", key.Suite},
		{"sessionconf_version", r.suiteVersion()},
	}
	if r.Target.Manifest != "" {
		props = append(props, junitProperty{"manifest", r.Target.Manifest})
	}
	if i := slices.IndexFunc(r.SuiteRuns, func(sr SuiteRun) bool { return sr.Profile == key.Profile && sr.Suite == key.Suite }); i >= 0 {
		sr := r.SuiteRuns[i]
		if sr.Seed != 0 {
			props = append(props, junitProperty{"seed", strconv.FormatInt(sr.Seed, 10)})
		}
		if !sr.Started.IsZero() {
			started = sr.Started
		}
	}
	if !started.IsZero() {
		s.Timestamp = started.UTC().Format(junitTimestamp)
	}
	s.Properties = props
	return s
}

// suiteVersion is the version the results were made with, or this
// sessionconf's when they do not say.
func (r *Run) suiteVersion() string {
	if r.SuiteVersion != "" {
		return r.SuiteVersion
	}
	return version.Version
}

func junitCaseOf(res Result, key suiteKey, dir, base string) junitCase {
	c := junitCase{
		Name:      fmt.Sprintf("%s %s [%s]", res.Requirement, res.Title, res.Level),
		ClassName: ClassName(res),
		Time:      res.Duration,
	}
	msg := strings.Join(res.Messages, "\n\n")
	switch res.Status {
	case Fail:
		c.Failure = &junitMessage{Message: firstLineOf(msg), Type: "fail", Body: withReproduce(msg, res)}
	case XPass:
		c.Failure = &junitMessage{Message: "passed, but listed as known-failing: remove it from the list", Type: "xpass", Body: withReproduce(msg, res)}
	case Error:
		c.Error = &junitMessage{Message: firstLineOf(msg), Type: "error", Body: withReproduce(msg, res)}
	case Unsupported, Skipped, XFail:
		c.Skipped = &junitMessage{Message: string(res.Status) + ": " + res.Reason}
	}
	c.SystemOut = systemOut(res, dir, base)
	return c
}

// withReproduce is a failure's text: its messages, then the command
// that runs it again.
func withReproduce(msg string, res Result) string {
	if res.Reproduce == "" {
		return msg
	}
	if msg != "" {
		msg += "\n\n"
	}
	return msg + "Reproduce: " + res.Reproduce
}

// systemOut lists a result's evidence. A failing result's files are
// [[ATTACHMENT|path]] lines, each alone on its line as Jenkins' plugin
// wants, screenshots first because GitLab shows the first one; the
// others are plain "name: path" lines, so that a green run does not make
// CI archive every journal.
func systemOut(res Result, dir, base string) string {
	var b strings.Builder
	if res.Status.Failing() {
		for _, e := range imagesFirst(res.Evidence) {
			fmt.Fprintf(&b, "[[ATTACHMENT|%s]]\n", attachmentPath(dir, e.Path, base))
		}
		return b.String()
	}
	for _, e := range res.Evidence {
		b.WriteString(e.Name + ": " + e.Path + "\n")
	}
	return b.String()
}

func imagesFirst(ev []Evidence) []Evidence {
	out := slices.Clone(ev)
	slices.SortStableFunc(out, func(a, b Evidence) int {
		return boolRank(!isImage(a.Path)) - boolRank(!isImage(b.Path))
	})
	return out
}

func isImage(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp":
		return true
	}
	return false
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// attachmentBase is the directory attachment paths are relative to:
// GitLab resolves them from the project directory (where artifacts are
// collected), Jenkins' plugin from the workspace; elsewhere the directory
// sessionconf runs in, which is where a CI job starts.
func attachmentBase() string {
	for _, env := range []string{"CI_PROJECT_DIR", "WORKSPACE"} {
		if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
			return d
		}
	}
	wd, _ := os.Getwd()
	return wd
}

// attachmentPath is an evidence file (relative to the report directory
// dir, or absolute) as a path relative to base, or absolute when it lies
// outside base (no CI can link it then, but a person can open it).
func attachmentPath(dir, p, base string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, filepath.FromSlash(p))
	}
	abs, err := filepath.Abs(p)
	if err != nil || base == "" {
		return filepath.ToSlash(p)
	}
	if r, err := filepath.Rel(base, abs); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(abs)
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
