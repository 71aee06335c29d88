// Package knownfail reads known-failing lists: the requirements a target is
// known to fail, each with the reason. The lists are enforced both ways: a
// listed requirement that passes is an xpass and fails the run (so lists
// cannot go stale), and an entry that names no requirement is an error.
//
// Format, one entry per line:
//
//	# comment
//	TOKEN-10            # why: records are pickled (Flask-Session 0.3.2)
//	LIFE-*@filesystem   # a glob, limited to one profile
//	COOKIE-3/browser    # limited to one suite (http or browser)
//	LIFE-4@redis/http   # both
//
// An entry without a suite holds for every suite that has a spec of the
// requirement. Every entry needs its reason after '#'.
package knownfail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/sessionconf/sessionconf/harness/catalog"
)

// Entry is one line of a list.
type Entry struct {
	Pattern string          // an ID or a glob over IDs
	Profile catalog.Profile // "" for every profile
	Suite   string          // "" for every suite
	Reason  string
	Line    int
}

// Suites are the suites an entry may name.
var Suites = []string{"http", "browser"}

// String renders the entry as written, without its reason.
func (e Entry) String() string {
	s := e.Pattern
	if e.Profile != "" {
		s += "@" + string(e.Profile)
	}
	if e.Suite != "" {
		s += "/" + e.Suite
	}
	return s
}

// Matches reports whether the entry lists requirement id in profile p and
// suite.
func (e Entry) Matches(id string, p catalog.Profile, suite string) bool {
	if (e.Profile != "" && e.Profile != p) || (e.Suite != "" && e.Suite != suite) {
		return false
	}
	ok, _ := path.Match(e.Pattern, id)
	return ok
}

// List is a parsed known-failing list.
type List struct {
	Path    string
	Entries []Entry
}

// Load reads and checks a list; an empty path is an empty list.
func Load(p string) (*List, error) {
	if p == "" {
		return &List{}, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("known-failing list: %w", err)
	}
	return Parse(data, p)
}

// Parse reads a list from data; name is used in messages.
func Parse(data []byte, name string) (*List, error) {
	l := &List{Path: name}
	var errs []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		entry, reason, _ := strings.Cut(line, "#")
		entry, reason = strings.TrimSpace(entry), strings.TrimSpace(reason)
		e := Entry{Pattern: entry, Reason: reason, Line: n}
		if pat, suite, ok := strings.Cut(entry, "/"); ok {
			if !slices.Contains(Suites, suite) {
				errs = append(errs, fmt.Sprintf("%s:%d: unknown suite %q (want %s)", name, n, suite, strings.Join(Suites, " or ")))
				continue
			}
			e.Pattern, e.Suite, entry = pat, suite, pat
		}
		if pat, prof, ok := strings.Cut(entry, "@"); ok {
			e.Pattern = pat
			p, err := catalog.ParseProfile(prof)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s:%d: %v", name, n, err))
				continue
			}
			e.Profile = p
		}
		if _, err := path.Match(e.Pattern, ""); err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: bad pattern %q: %v", name, n, e.Pattern, err))
			continue
		}
		if len(catalog.Match(e.Pattern)) == 0 {
			errs = append(errs, fmt.Sprintf("%s:%d: %q names no requirement of the catalog (renamed? typo?)", name, n, e.Pattern))
			continue
		}
		if e.Reason == "" {
			errs = append(errs, fmt.Sprintf("%s:%d: %q has no reason; write why after '#'", name, n, e.Pattern))
			continue
		}
		l.Entries = append(l.Entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	return l, nil
}

// Lookup returns the entry listing requirement id in profile p and suite.
func (l *List) Lookup(id string, p catalog.Profile, suite string) (Entry, bool) {
	for _, e := range l.Entries {
		if e.Matches(id, p, suite) {
			return e, true
		}
	}
	return Entry{}, false
}

// Suggest renders a list block for failed requirements, for a failed run to
// print ("add these to your known-failing list if they are expected").
func Suggest(failed map[string]string, p catalog.Profile) string {
	var b strings.Builder
	for _, r := range catalog.All() {
		if msg, ok := failed[r.ID]; ok {
			fmt.Fprintf(&b, "%s@%s  # TODO why: %s\n", r.ID, p, firstLine(msg))
		}
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return s
}
