package results

import (
	"regexp"
	"strings"
)

// Rerun is what a reproduce command repeats of the run it comes from:
// the manifest of each profile as the user gave it (relative to where the
// run started, so the command works pasted into the same shell), and the
// flags that change a verdict (a known-failing list, the Redis provider,
// timeouts), already spelled as arguments.
type Rerun struct {
	// Program is the command as the user typed it (bin/sessionconf,
	// ./sessionconf in a release directory); "" is "sessionconf", found
	// on PATH.
	Program string
	// Targets maps a profile to its manifest; "" is any profile's.
	Targets map[string]string
	Flags   []string
}

// ReproduceCommand is the one command line that runs a result's spec
// again, alone, keeping its state directories: what the console, the
// HTML report, junit.xml and the Markdown summary all print for a
// failure.
func (rr Rerun) ReproduceCommand(r Result) string {
	target := rr.Targets[r.Profile]
	if target == "" {
		target = rr.Targets[""]
	}
	program := rr.Program
	if program == "" {
		program = "sessionconf"
	}
	args := []string{ShellQuote(program), "run", "-target", ShellQuote(target), "-profiles", ShellQuote(r.Profile)}
	if r.Suite != "" {
		args = append(args, "-suites", ShellQuote(r.Suite))
	}
	// Always quoted: a reader who widens it ('COOKIE-1 || COOKIE-2') needs
	// the quotes anyway.
	args = append(args, "-label-filter", alwaysQuote(r.Requirement))
	for _, f := range rr.Flags {
		args = append(args, ShellQuote(f))
	}
	return strings.Join(append(args, "-keep"), " ")
}

// FillReproduce sets Reproduce on every result that fails the run (fail,
// error, xpass), and clears it elsewhere.
func (r *Run) FillReproduce(rr Rerun) {
	for i, res := range r.Results {
		r.Results[i].Reproduce = ""
		if res.Status.Failing() {
			r.Results[i].Reproduce = rr.ReproduceCommand(res)
		}
	}
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// ShellQuote returns s as one POSIX shell word: unchanged when it holds
// only characters no shell treats specially, else in single quotes (a
// single quote inside becomes '\”).
func ShellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return alwaysQuote(s)
}

func alwaysQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
