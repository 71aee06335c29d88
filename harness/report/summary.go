package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/results"
)

// VerdictLine is the run's verdict with its counts, as the console's
// last line says it after "sessionconf " (CI reads "N passed, N failed"):
//
//	FAIL: 130 passed, 2 failed (1 fail, 1 error, 0 xpass); 0 xfail, 36 unsupported (3 MUST not checked), 0 skipped in 37.4s
func VerdictLine(run *results.Run) string {
	n := map[results.Status]int{}
	for _, r := range run.Results {
		n[r.Status]++
	}
	verdict := "PASS"
	if !run.OK() {
		verdict = "FAIL"
	}
	unchecked := ""
	if k := len(NotCheckedMust(run)); k > 0 {
		unchecked = fmt.Sprintf(" (%d MUST not checked)", k)
	}
	bad := n[results.Fail] + n[results.Error] + n[results.XPass]
	return fmt.Sprintf("%s: %d passed, %d failed (%d fail, %d error, %d xpass); %d xfail, %d unsupported%s, %d skipped in %.1fs",
		verdict, n[results.Pass], bad, n[results.Fail], n[results.Error], n[results.XPass],
		n[results.XFail], n[results.Unsupported], unchecked, n[results.Skipped], run.Duration)
}

// NotCheckedMust returns the MUST results that apply to their profile but
// were not checked, because the manifest does not declare what their
// specs need. They fail nothing, and must not pass unseen: every report
// lists them.
func NotCheckedMust(run *results.Run) []results.Result {
	var out []results.Result
	for _, r := range run.Results {
		if r.Status == results.Unsupported && r.NotChecked && r.Level == string(catalog.Must) {
			out = append(out, r)
		}
	}
	return out
}

// NotCheckedGroup is the not-checked MUSTs that one declaration would let
// run.
type NotCheckedGroup struct {
	Reason string
	Where  []string // ID@profile, ID@profile/suite beyond the HTTP suite
}

// GroupNotChecked groups NotCheckedMust by reason, in the run's order.
func GroupNotChecked(run *results.Run) []NotCheckedGroup {
	var out []NotCheckedGroup
	index := map[string]int{}
	for _, r := range NotCheckedMust(run) {
		where := r.Requirement + "@" + r.Profile
		if r.Suite != "" && r.Suite != "http" {
			where += "/" + r.Suite
		}
		i, ok := index[r.Reason]
		if !ok {
			i = len(out)
			index[r.Reason] = i
			out = append(out, NotCheckedGroup{Reason: r.Reason})
		}
		out[i].Where = append(out[i].Where, where)
	}
	return out
}

// FirstMessage is the first line of a result's first message (or its
// reason), at most n bytes: what a list of failures shows of each.
func FirstMessage(r results.Result, n int) string {
	switch {
	case len(r.Messages) > 0:
		return firstLine(r.Messages[0], n)
	case r.Status == results.XPass:
		return "passed, but listed as known-failing: remove it from the list"
	}
	return firstLine(r.Reason, n)
}

// Failures are the results that fail the run: fail, then error, then
// xpass (what the implementation breaks matters most), each in the run's
// order.
func Failures(run *results.Run) []results.Result {
	var out []results.Result
	for _, r := range run.Results {
		if r.Status.Failing() {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b results.Result) int { return problemRank(a.Status) - problemRank(b.Status) })
	return out
}

// SharedCauses groups items of one status, profile and suite whose first
// messages are the same, in the order they come: a run that could not
// start, or a suite that wrote nothing, fails every requirement with one
// cause, which a reader should see once with the requirements it hit.
func SharedCauses[T any](items []T, result func(T) results.Result) [][]T {
	var groups [][]T
	at := map[string]int{}
	for _, it := range items {
		r := result(it)
		key := strings.Join([]string{string(r.Status), r.Profile, r.Suite, FirstMessage(r, 1<<20)}, "\x00")
		i, ok := at[key]
		if !ok {
			i = len(groups)
			at[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], it)
	}
	return groups
}

// Requirements names a group's requirements, the first n of them.
func Requirements(g []results.Result, n int) string {
	var ids []string
	for _, r := range g[:min(n, len(g))] {
		ids = append(ids, r.Requirement)
	}
	s := strings.Join(ids, ", ")
	if len(g) > n {
		s += fmt.Sprintf(" and %d more", len(g)-n)
	}
	return s
}

// GroupFailures is SharedCauses of plain results.
func GroupFailures(rs []results.Result) [][]results.Result {
	return SharedCauses(rs, func(r results.Result) results.Result { return r })
}

// maxSummaryFailures bounds the failures the Markdown summary lists: a
// GitHub step summary holds 1 MiB, and the report has them all.
const maxSummaryFailures = 50

// SummaryMarkdown writes a short Markdown summary of run, for CI pages
// that render one ($GITHUB_STEP_SUMMARY): the verdict line, counts per
// profile and suite, the failures with their first message and the
// command that reproduces each, and the MUST requirements not checked.
func SummaryMarkdown(w io.Writer, run *results.Run) error {
	var b strings.Builder
	verdict := VerdictLine(run)
	mark := "✓"
	if !run.OK() {
		mark = "✗"
	}
	fmt.Fprintf(&b, "### %s sessionconf %s\n\n", mark, mdEscape(run.Target.Name))
	fmt.Fprintf(&b, "**%s**\n\n", mdEscape(verdict))
	if run.Filtered {
		b.WriteString("Filtered run: a label filter left requirements out (skipped), so this is not a complete conformance claim.\n\n")
	}
	if run.Executed() == 0 {
		b.WriteString("No requirement was executed, so the run fails (check -label-filter and the manifest's profiles).\n\n")
	}
	writeCountsTable(&b, run)
	writeFailuresMarkdown(&b, run)
	writeNotCheckedMarkdown(&b, run)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCountsTable(b *strings.Builder, run *results.Run) {
	b.WriteString("| profile | suite |")
	sep := "|---|---|"
	for _, s := range results.Statuses {
		fmt.Fprintf(b, " %s %s |", Symbol(s), s)
		sep += "--:|"
	}
	b.WriteString("\n" + sep + "\n")
	for _, p := range profilesOf(run) {
		for _, s := range suitesOf(run.Results) {
			n := map[results.Status]int{}
			for _, r := range run.Results {
				if r.Profile == p && r.Suite == s {
					n[r.Status]++
				}
			}
			if len(n) == 0 {
				continue
			}
			fmt.Fprintf(b, "| %s | %s |", mdEscape(p), mdEscape(s))
			for _, st := range results.Statuses {
				if n[st] > 0 && st.Failing() {
					fmt.Fprintf(b, " **%d** |", n[st])
				} else {
					fmt.Fprintf(b, " %d |", n[st])
				}
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\n")
}

func writeFailuresMarkdown(b *strings.Builder, run *results.Run) {
	failures := Failures(run)
	if len(failures) == 0 {
		return
	}
	fmt.Fprintf(b, "#### Failures (%d)\n\n", len(failures))
	listed := 0
	for _, g := range GroupFailures(failures) {
		if listed >= maxSummaryFailures {
			fmt.Fprintf(b, "…and %d more: see report.html.\n\n", len(failures)-listed)
			break
		}
		listed += len(g)
		r := g[0]
		if len(g) == 1 {
			fmt.Fprintf(b, "- %s **%s** `%s` (%s, %s / %s): %s\n", Symbol(r.Status), r.Status, mdCode(r.Requirement),
				mdEscape(r.Level), mdEscape(r.Profile), mdEscape(r.Suite), mdEscape(r.Title))
		} else {
			fmt.Fprintf(b, "- %s **%s** %d requirements (%s / %s): %s\n", Symbol(r.Status), r.Status, len(g),
				mdEscape(r.Profile), mdEscape(r.Suite), mdEscape(Requirements(g, 10)))
		}
		if msg := FirstMessage(r, 300); msg != "" {
			b.WriteString(indentFence(msg, "text"))
		}
		if r.Reproduce != "" {
			b.WriteString(indentFence(r.Reproduce, "sh"))
		}
	}
	b.WriteString("\n")
}

func writeNotCheckedMarkdown(b *strings.Builder, run *results.Run) {
	groups := GroupNotChecked(run)
	if len(groups) == 0 {
		return
	}
	fmt.Fprintf(b, "#### MUST not checked (%d)\n\n", len(NotCheckedMust(run)))
	b.WriteString("The requirement applies, but the manifest does not declare what its spec needs:\n\n")
	for _, g := range groups {
		var where []string
		for _, w := range g.Where {
			where = append(where, "`"+mdCode(w)+"`")
		}
		fmt.Fprintf(b, "- %s: %s\n", strings.Join(where, ", "), mdEscape(g.Reason))
	}
	b.WriteString("\n")
}

// indentFence is text as a fenced block inside a list item. The fence is
// longer than any run of backticks in the text, so the target's output
// cannot close it and turn into Markdown.
func indentFence(text, lang string) string {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	var b strings.Builder
	b.WriteString("  " + fence + lang + "\n")
	for _, line := range strings.Split(text, "\n") {
		b.WriteString("  " + line + "\n")
	}
	b.WriteString("  " + fence + "\n")
	return b.String()
}
