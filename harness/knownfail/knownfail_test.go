package knownfail

import (
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/catalog"
)

func TestParseAndLookup(t *testing.T) {
	l, err := Parse([]byte(`
# pickled records
TOKEN-10          # Flask-Session 0.3.2 pickles records
LIFE-*@filesystem # no janitor
`), "list.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Lookup("TOKEN-10", catalog.Redis, "http"); !ok {
		t.Error("TOKEN-10 should be listed for every profile")
	}
	if _, ok := l.Lookup("LIFE-8", catalog.Filesystem, "http"); !ok {
		t.Error("LIFE-8@filesystem should match the glob")
	}
	if _, ok := l.Lookup("LIFE-8", catalog.Redis, "http"); ok {
		t.Error("LIFE-*@filesystem must not list LIFE-8 for redis")
	}
	if _, ok := l.Lookup("TOKEN-1", catalog.Redis, "http"); ok {
		t.Error("TOKEN-1 is not listed")
	}
}

func TestParseRejects(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"unknown id":            {"TOKEN-99 # gone", `"TOKEN-99" names no requirement`},
		"glob matching nothing": {"NOPE-* # x", `"NOPE-*" names no requirement`},
		"no reason":             {"TOKEN-10", "has no reason"},
		"bad profile":           {"TOKEN-10@disk # x", `unknown profile "disk"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), "l.txt")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "l.txt:1:") {
				t.Errorf("Parse(%q) error = %v, want one containing l.txt:1: and %q", tc.in, err, tc.want)
			}
		})
	}
}
