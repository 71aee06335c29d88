package results

import (
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
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

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
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

// WriteJUnit writes junit.xml into dir: one testsuite per profile, one
// testcase per requirement. xpass is a failure, xfail and unsupported are
// skipped with their reason, so CI pages show the same verdict as the run.
func (r *Run) WriteJUnit(dir string) (string, error) {
	top := junitSuites{Name: "sessionconf " + r.Target.Name, Time: r.Duration}
	byProfile := map[string]*junitSuite{}
	var order []string
	for _, res := range r.Results {
		key := res.Profile
		if res.Suite != "" && res.Suite != "http" {
			key += " (" + res.Suite + ")"
		}
		s, ok := byProfile[key]
		if !ok {
			s = &junitSuite{Name: fmt.Sprintf("%s/%s", r.Target.Name, key)}
			byProfile[key] = s
			order = append(order, key)
		}
		c := junitCase{
			Name:      fmt.Sprintf("%s %s [%s]", res.Requirement, res.Title, res.Level),
			ClassName: "sessionconf." + strings.ReplaceAll(key, " ", "_"),
			Time:      res.Duration,
		}
		msg := strings.Join(res.Messages, "\n\n")
		switch res.Status {
		case Fail:
			c.Failure = &junitMessage{Message: firstLineOf(msg), Type: "fail", Body: msg}
		case XPass:
			c.Failure = &junitMessage{Message: "passed, but listed as known-failing: remove it from the list", Type: "xpass"}
		case Error:
			c.Error = &junitMessage{Message: firstLineOf(msg), Type: "error", Body: msg}
		case Unsupported, Skipped, XFail:
			c.Skipped = &junitMessage{Message: string(res.Status) + ": " + res.Reason}
		}
		for _, e := range res.Evidence {
			c.SystemOut += e.Name + ": " + e.Path + "\n"
		}
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
		s := byProfile[k]
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

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
