package selftest

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/results"
)

// The self-test's verdict logic: what one mutant's results mean, and the
// mutation score over all of them. Pure functions over results, so they
// are tested without running anything (selftest_test.go).

// Mutant statuses.
const (
	mutantKilled   = "killed"   // every expected failure happened, nothing else failed
	mutantSurvived = "survived" // none of its expected failures happened: the suite missed the fault
	mutantWrong    = "wrong"    // caught, but the expected list does not match (xpass, unexpected failures, vacuous entries)
	mutantError    = "error"    // the harness could not tell (status error in some spec)
)

// Verdict is what one run of one mutant proved.
type Verdict struct {
	Mutant string `json:"mutant"`
	Fault  string `json:"fault"`
	Status string `json:"status"`
	// Caught are the expected failures that happened (ID@profile).
	Caught []string `json:"caught"`
	// Missed are expected failures that did not happen (xpass): the list
	// claims more than the suite catches.
	Missed []string `json:"missed,omitempty"`
	// Unexpected are failures the list does not expect (fail).
	Unexpected []string `json:"unexpected,omitempty"`
	// Errors are specs that could not complete (error).
	Errors []string `json:"errors,omitempty"`
	// Vacuous are list entries that matched no spec that ran (the
	// requirement is unsupported in the profile, or the profile is not run).
	Vacuous []string `json:"vacuous,omitempty"`
	// Messages keep the first line of each unexpected failure and error.
	Messages map[string]string `json:"messages,omitempty"`
	Seconds  float64           `json:"seconds"`
}

// OK reports whether the mutant did exactly what its list says.
func (v Verdict) OK() bool { return v.Status == mutantKilled }

// Problems lists what is wrong, one line each.
func (v Verdict) Problems() []string {
	var out []string
	if v.Status == mutantSurvived {
		out = append(out, "survived: none of its expected failures happened, so the suite does not catch this fault")
	}
	for _, m := range v.Missed {
		out = append(out, "xpass "+m+": expected to fail, but passed")
	}
	for _, u := range v.Unexpected {
		out = append(out, "unexpected failure "+u+": "+v.Messages[u])
	}
	for _, e := range v.Errors {
		out = append(out, "error "+e+": "+v.Messages[e])
	}
	for _, e := range v.Vacuous {
		out = append(out, "vacuous entry "+e+": no spec it names ran (unsupported in that profile, or the profile is not run)")
	}
	return out
}

// judgeMutant compares a mutant's results with its expected list.
func judgeMutant(name, fault string, list *knownfail.List, run *results.Run) Verdict {
	v := Verdict{Mutant: name, Fault: fault, Messages: map[string]string{}}
	if run != nil {
		v.Seconds = run.Duration
	}
	ran := map[int]bool{} // list entries matched by a spec that ran
	var rs []results.Result
	if run != nil {
		rs = run.Results
	}
	for _, r := range rs {
		key := r.Requirement + "@" + r.Profile
		if r.Suite != "" && r.Suite != "http" {
			key += " (" + r.Suite + ")"
		}
		if r.Status == results.XFail || r.Status == results.XPass {
			for i, e := range list.Entries {
				if entryMatches(e, r) {
					ran[i] = true
				}
			}
		}
		switch r.Status {
		case results.XFail:
			v.Caught = append(v.Caught, key)
		case results.XPass:
			v.Missed = append(v.Missed, key)
		case results.Fail:
			v.Unexpected = append(v.Unexpected, key)
			v.Messages[key] = firstMessage(r)
		case results.Error:
			v.Errors = append(v.Errors, key)
			v.Messages[key] = firstMessage(r)
		}
	}
	for i, e := range list.Entries {
		if !ran[i] {
			v.Vacuous = append(v.Vacuous, e.String())
		}
	}
	switch {
	case len(v.Errors) > 0:
		v.Status = mutantError
	case len(v.Caught) == 0:
		v.Status = mutantSurvived
	case len(v.Missed) > 0 || len(v.Unexpected) > 0 || len(v.Vacuous) > 0:
		v.Status = mutantWrong
	default:
		v.Status = mutantKilled
	}
	if len(v.Messages) == 0 {
		v.Messages = nil
	}
	return v
}

func entryMatches(e knownfail.Entry, r results.Result) bool {
	suite := r.Suite
	if suite == "" {
		suite = "http"
	}
	return e.Matches(r.Requirement, catalog.Profile(r.Profile), suite)
}

func firstMessage(r results.Result) string {
	if len(r.Messages) == 0 {
		return ""
	}
	return firstLine(r.Messages[0])
}

// mergeRepeats combines verdicts of the same mutant from repeated runs: a
// mutant is killed only if every run killed it, and anything that
// differed between runs is reported as unstable.
func mergeRepeats(runs []Verdict) (Verdict, []string) {
	if len(runs) == 1 {
		return runs[0], nil
	}
	out := runs[0]
	var unstable []string
	sets := func(get func(Verdict) []string) {
		all := map[string]int{}
		for _, r := range runs {
			for _, k := range get(r) {
				all[k]++
			}
		}
		for k, n := range all {
			if n != len(runs) {
				unstable = append(unstable, fmt.Sprintf("%s in %d of %d runs", k, n, len(runs)))
			}
		}
	}
	sets(func(v Verdict) []string { return prefixed("caught ", v.Caught) })
	sets(func(v Verdict) []string { return prefixed("xpass ", v.Missed) })
	sets(func(v Verdict) []string { return prefixed("unexpected ", v.Unexpected) })
	sets(func(v Verdict) []string { return prefixed("error ", v.Errors) })
	sort.Strings(unstable)
	for _, r := range runs[1:] {
		out.Caught = union(out.Caught, r.Caught)
		out.Missed = union(out.Missed, r.Missed)
		out.Unexpected = union(out.Unexpected, r.Unexpected)
		out.Errors = union(out.Errors, r.Errors)
		out.Vacuous = union(out.Vacuous, r.Vacuous)
		for k, m := range r.Messages {
			if out.Messages == nil {
				out.Messages = map[string]string{}
			}
			if _, ok := out.Messages[k]; !ok {
				out.Messages[k] = m
			}
		}
		out.Seconds = max(out.Seconds, r.Seconds)
		if rank(r.Status) > rank(out.Status) {
			out.Status = r.Status
		}
	}
	if out.Status == mutantKilled && len(unstable) > 0 {
		out.Status = mutantWrong
	}
	return out, unstable
}

func rank(status string) int {
	return slices.Index([]string{mutantKilled, mutantWrong, mutantSurvived, mutantError}, status)
}

func prefixed(p string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = p + x
	}
	return out
}

func union(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// reqCoverage is one requirement's line in the score.
type reqCoverage struct {
	ID    string `json:"id"`
	Level string `json:"level"`
	Title string `json:"title"`
	// CaughtBy are the mutants whose expected failure of this requirement
	// happened, as mutant@profile.
	CaughtBy []string `json:"caught_by"`
}

// Score is the self-test's outcome.
type Score struct {
	Mutants  int       `json:"mutants"`
	Killed   int       `json:"killed"`   // status killed
	Caught   int       `json:"caught"`   // at least one expected failure happened (the classic mutation score)
	Survived []string  `json:"survived"` // none happened
	Verdicts []Verdict `json:"verdicts"`
	// Requirements lists every catalog requirement with the mutants that
	// catch it; Uncovered are those no mutant catches.
	Requirements []reqCoverage `json:"requirements"`
	Uncovered    []string      `json:"uncovered"`
	// UncoveredMust are the MUST requirements among Uncovered.
	UncoveredMust []string `json:"uncovered_must"`
	// Unstable lists results that differed between repeated runs.
	Unstable map[string][]string `json:"unstable,omitempty"`
	Seconds  float64             `json:"seconds"`
	Repeat   int                 `json:"repeat"`
}

// OK reports whether the self-test passes: every mutant killed exactly as
// its list says.
func (s Score) OK() bool { return s.Mutants > 0 && s.Killed == s.Mutants }

// scoreAll computes the mutation score and the per-requirement coverage.
func scoreAll(verdicts []Verdict, reqs []catalog.Requirement) Score {
	s := Score{Mutants: len(verdicts), Verdicts: verdicts}
	caught := map[string][]string{}
	for _, v := range verdicts {
		if v.Status == mutantKilled {
			s.Killed++
		}
		if len(v.Caught) > 0 {
			s.Caught++
		} else if v.Status != mutantError {
			s.Survived = append(s.Survived, v.Mutant)
		}
		for _, c := range v.Caught {
			id, prof, _ := strings.Cut(c, "@")
			caught[id] = append(caught[id], v.Mutant+"@"+prof)
		}
	}
	for _, r := range reqs {
		by := caught[r.ID]
		sort.Strings(by)
		s.Requirements = append(s.Requirements, reqCoverage{ID: r.ID, Level: string(r.Level), Title: r.Title, CaughtBy: by})
		if len(by) == 0 {
			s.Uncovered = append(s.Uncovered, r.ID)
			if r.Level == catalog.Must {
				s.UncoveredMust = append(s.UncoveredMust, r.ID)
			}
		}
	}
	return s
}

func percent(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

// scoreLine is the one-line summary CI reads.
func (s Score) scoreLine() string {
	covered := len(s.Requirements) - len(s.Uncovered)
	verdict := "PASS"
	if !s.OK() {
		verdict = "FAIL"
	}
	return fmt.Sprintf("sessionconf selftest %s: mutation score %d/%d (%.0f%%), %d killed exactly as expected; requirements covered %d/%d, uncovered MUST %d; in %.1fs",
		verdict, s.Caught, s.Mutants, percent(s.Caught, s.Mutants), s.Killed, covered, len(s.Requirements), len(s.UncoveredMust), s.Seconds)
}

// printScore writes the mutant table, the requirement table, the
// uncovered list and the score line.
func printScore(w io.Writer, s Score) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MUTANT\tSTATUS\tCAUGHT")
	for _, v := range s.Verdicts {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Mutant, v.Status, strings.Join(v.Caught, " "))
	}
	tw.Flush()
	for _, v := range s.Verdicts {
		if p := v.Problems(); len(p) > 0 {
			fmt.Fprintf(w, "\n%s (%s):\n", v.Mutant, v.Fault)
			for _, l := range p {
				fmt.Fprintf(w, "  - %s\n", l)
			}
		}
	}
	for _, name := range sortedKeys(s.Unstable) {
		fmt.Fprintf(w, "\n%s differed between runs:\n", name)
		for _, l := range s.Unstable[name] {
			fmt.Fprintf(w, "  - %s\n", l)
		}
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUIREMENT\tLEVEL\tCAUGHT BY")
	for _, c := range s.Requirements {
		by := strings.Join(c.CaughtBy, " ")
		if by == "" {
			by = "UNCOVERED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Level, by)
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(s.Uncovered) > 0 {
		var parts []string
		for _, id := range s.Uncovered {
			parts = append(parts, id+" ("+levelOf(s, id)+")")
		}
		fmt.Fprintf(w, "Uncovered (no mutant catches them): %s\n", strings.Join(parts, ", "))
	} else {
		fmt.Fprintln(w, "Uncovered: none, every requirement is caught by at least one mutant")
	}
	if len(s.Survived) > 0 {
		fmt.Fprintf(w, "Survivors: %s\n", strings.Join(s.Survived, ", "))
	}
	fmt.Fprintln(w, s.scoreLine())
}

func levelOf(s Score, id string) string {
	for _, c := range s.Requirements {
		if c.ID == id {
			return c.Level
		}
	}
	return ""
}

// markdown renders the score as a report page.
func (s Score) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# sessionconf self-test\n\n%s\n\n", s.scoreLine())
	fmt.Fprintf(&b, "Every mutant is the reference server with one fault; its expected-failure list says which requirements the suite must catch it breaking. ")
	if s.Repeat > 1 {
		fmt.Fprintf(&b, "Each mutant ran %d times. ", s.Repeat)
	}
	fmt.Fprintf(&b, "\n\n## Mutants\n\n| Mutant | Fault | Status | Caught |\n|---|---|---|---|\n")
	for _, v := range s.Verdicts {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Mutant, mDEscape(v.Fault), v.Status, strings.Join(v.Caught, ", "))
	}
	var problems bool
	for _, v := range s.Verdicts {
		if p := v.Problems(); len(p) > 0 {
			if !problems {
				b.WriteString("\n## Problems\n")
				problems = true
			}
			fmt.Fprintf(&b, "\n`%s`:\n\n", v.Mutant)
			for _, l := range p {
				fmt.Fprintf(&b, "- %s\n", mDEscape(l))
			}
		}
	}
	if len(s.Unstable) > 0 {
		b.WriteString("\n## Unstable between runs\n\n")
		for _, name := range sortedKeys(s.Unstable) {
			fmt.Fprintf(&b, "- `%s`: %s\n", name, strings.Join(s.Unstable[name], "; "))
		}
	}
	b.WriteString("\n## Requirements\n\n| Requirement | Level | Caught by |\n|---|---|---|\n")
	for _, c := range s.Requirements {
		by := strings.Join(c.CaughtBy, ", ")
		if by == "" {
			by = "**uncovered**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.ID, c.Level, by)
	}
	b.WriteString("\n## Uncovered\n\n")
	if len(s.Uncovered) == 0 {
		b.WriteString("None: every requirement is caught by at least one mutant.\n")
	}
	for _, id := range s.Uncovered {
		fmt.Fprintf(&b, "- %s (%s)\n", id, levelOf(s, id))
	}
	return b.String()
}

func mDEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
