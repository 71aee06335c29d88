package tamper

import (
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
)

// Read the way a naive store or a shell would, no hostile value reaches
// beyond the run's own directory, and the command injections stay in the
// spec's: a regression here deletes files of the machine the suite runs
// on (the values once named /etc/passwd). The layout is the harness's: a
// run directory, a state directory per spec with the canary, the store
// below it. Targets run on Unix-like systems, where `\` is an ordinary
// file-name character.
func TestHostileValuesReachNothingOutsideTheRun(t *testing.T) {
	const run = "/tmp/sessionconf-run-1"
	const state = run + "/TOKEN-7-1"
	const store = state + "/flask_session"
	canary := state + "/canary.txt"
	touch := regexp.MustCompile("(?:\\$\\(|`)touch ([^)`]+)")
	under := func(dir, p string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

	reachesCanary := 0
	for _, v := range Hostile(canary) {
		v, _, _ = strings.Cut(v, "\x00")                                // C strings end at NUL
		readings := []string{v, strings.ReplaceAll(v, "....//", "../")} // a filter that strips "../" once
		if u, err := url.PathUnescape(v); err == nil {
			readings = append(readings, u)
		}
		for _, r := range readings {
			joined := path.Join(store, r) // Go's filepath.Join
			if strings.HasPrefix(r, "/") {
				joined = path.Clean(r) // Python's os.path.join, PHP's fopen of an absolute name
			}
			if !under(run, joined) {
				t.Errorf("hostile value %q, read as %q, reaches %s outside the run's directory %s", v, r, joined, run)
			}
			if joined == canary {
				reachesCanary++
			}
		}
		for _, m := range touch.FindAllStringSubmatch(v, -1) {
			if !under(state, path.Clean(m[1])) {
				t.Errorf("hostile value %q runs a command on %s outside the spec's directory %s", v, m[1], state)
			}
		}
	}
	if reachesCanary == 0 {
		t.Error("no hostile value reaches the canary: TOKEN-7 would not see a traversal")
	}
}
