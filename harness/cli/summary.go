package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/report"
	"github.com/sessionconf/sessionconf/harness/results"
	"github.com/sessionconf/sessionconf/harness/runner"
)

// printSummary prints the failures, the requirement x profile table, the
// counts and the verdict line CI reads ("N passed, N failed"); quiet
// leaves out the failures and the table.
func printSummary(w io.Writer, run *results.Run, jobs []*runner.Job, reports string, quiet bool) {
	if !quiet {
		printFailures(w, run)
		printTable(w, run)
	}
	printCounts(w, run, jobs, reports, quiet)
}

// printFailures lists what failed, each with its first message and the
// command that runs it again.
func printFailures(w io.Writer, run *results.Run) {
	var bad []results.Result
	for _, r := range run.Results {
		if r.Status.Failing() {
			bad = append(bad, r)
		}
	}
	if len(bad) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFailures (%d):\n", len(bad))
	for _, r := range bad {
		msg := "(no message)"
		if len(r.Messages) > 0 {
			msg = headline(r.Messages[0])
		}
		more := ""
		if n := len(r.Messages) - 1; n > 0 {
			more = fmt.Sprintf(" (+%d more in the report)", n)
		}
		fmt.Fprintf(w, "  %s %s %s/%s: %s%s\n", r.Status, r.Requirement, r.Profile, suiteOf(r), msg, more)
		if r.Reproduce != "" {
			fmt.Fprintf(w, "      again: %s\n", r.Reproduce)
		}
	}
}

// headline is a message's first line, with the next one when the first
// only announces it ("... the log ends with:").
func headline(msg string) string {
	lines := strings.SplitN(strings.TrimSpace(msg), "\n", 3)
	if len(lines) > 1 && strings.HasSuffix(lines[0], ":") {
		return lines[0] + " " + strings.TrimSpace(lines[1])
	}
	return lines[0]
}

// printTable prints the requirement x profile table.
func printTable(w io.Writer, run *results.Run) {
	cells := map[string]map[string][]string{} // id -> profile -> statuses by suite
	for _, r := range run.Results {
		if cells[r.Requirement] == nil {
			cells[r.Requirement] = map[string][]string{}
		}
		s := string(r.Status)
		if r.Suite != "" && r.Suite != "http" {
			s = r.Suite + ":" + s
		}
		cells[r.Requirement][r.Profile] = append(cells[r.Requirement][r.Profile], s)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "REQUIREMENT\tLEVEL\t%s\n", strings.ToUpper(strings.Join(run.Profiles, "\t")))
	for _, req := range catalog.All() {
		if cells[req.ID] == nil || onlySkipped(cells[req.ID]) {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s", req.ID, req.Level)
		for _, p := range run.Profiles {
			c := strings.Join(cells[req.ID][p], " ")
			if c == "" {
				c = "-"
			}
			fmt.Fprintf(tw, "\t%s", c)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// printCounts prints the counts per profile, what to do about failures,
// the MUSTs not checked, where the reports are and the verdict line.
func printCounts(w io.Writer, run *results.Run, jobs []*runner.Job, reports string, quiet bool) {
	fmt.Fprintln(w)
	for _, p := range run.Profiles {
		counts := map[results.Status]int{}
		for _, r := range run.Results {
			if r.Profile == p {
				counts[r.Status]++
			}
		}
		var parts []string
		for _, s := range results.Statuses {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		var took []string
		for _, j := range jobs {
			if string(j.Profile) == p {
				took = append(took, fmt.Sprintf("%s %v", j.Suite.Name, j.Elapsed.Round(100*time.Millisecond)))
			}
		}
		for _, c := range run.SuiteRuns {
			if c.Profile == p && c.Suite == "http" && c.Measured {
				took = append(took, fmt.Sprintf("a start %v, a login %v", seconds(c.Start, 10*time.Millisecond), seconds(c.Login, time.Millisecond)))
			}
		}
		fmt.Fprintf(w, "%-10s %s  (%s)\n", p+":", strings.Join(parts, ", "), strings.Join(took, "; "))
	}
	failed := map[string]map[string]string{}
	for _, r := range run.Results {
		if r.Status == results.Fail {
			if failed[r.Profile] == nil {
				failed[r.Profile] = map[string]string{}
			}
			failed[r.Profile][r.Requirement] = strings.Join(r.Messages, " ")
		}
	}
	if len(failed) > 0 && !quiet {
		fmt.Fprintln(w, "\nIf these failures are known and accepted, add them with a reason to the target's known-failing list:")
		for _, p := range run.Profiles {
			if f := failed[p]; len(f) > 0 {
				fmt.Fprint(w, knownfail.Suggest(f, catalog.Profile(p)))
			}
		}
	}
	notChecked := printNotChecked(w, run)
	passed := run.Summary[results.Pass]
	bad := run.Summary[results.Fail] + run.Summary[results.Error] + run.Summary[results.XPass]
	verdict := "PASS"
	if !run.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\nReports: %s, %s", filepath.Join(reports, "results.json"), filepath.Join(reports, "junit.xml"))
	if html := filepath.Join(reports, report.FileName); fileExists(html) {
		fmt.Fprintf(w, ", %s (open it in a browser; it needs no network)", html)
	}
	fmt.Fprintln(w)
	unchecked := ""
	if notChecked > 0 {
		unchecked = fmt.Sprintf(" (%d MUST not checked)", notChecked)
	}
	fmt.Fprintf(w, "sessionconf %s: %d passed, %d failed (%d fail, %d error, %d xpass); %d xfail, %d unsupported%s, %d skipped in %.1fs\n",
		verdict, passed, bad, run.Summary[results.Fail], run.Summary[results.Error], run.Summary[results.XPass],
		run.Summary[results.XFail], run.Summary[results.Unsupported], unchecked, run.Summary[results.Skipped], run.Duration)
	if run.Executed() == 0 {
		fmt.Fprintln(w, "sessionconf: no requirement was executed, so the run fails (check -label-filter and the manifest's profiles)")
	}
}

// onlySkipped reports whether a requirement was filtered out everywhere
// (a filtered run lists only what it ran).
func onlySkipped(byProfile map[string][]string) bool {
	for _, ss := range byProfile {
		for _, s := range ss {
			if !strings.HasSuffix(s, string(results.Skipped)) {
				return false
			}
		}
	}
	return true
}

func seconds(s float64, round time.Duration) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(round)
}

// printNotChecked lists the MUST requirements that apply to a profile but
// were not checked because the manifest does not declare what their specs
// need, grouped by what to declare, and returns how many there are. They
// fail nothing, and must not pass unseen.
func printNotChecked(w io.Writer, run *results.Run) int {
	byReason := map[string][]string{}
	var reasons []string
	n := 0
	for _, r := range run.Results {
		if r.Status != results.Unsupported || !r.NotChecked || r.Level != string(catalog.Must) {
			continue
		}
		id := r.Requirement + "@" + r.Profile
		if r.Suite != "" && r.Suite != "http" {
			id += "/" + r.Suite
		}
		if _, ok := byReason[r.Reason]; !ok {
			reasons = append(reasons, r.Reason)
		}
		byReason[r.Reason] = append(byReason[r.Reason], id)
		n++
	}
	if n == 0 {
		return 0
	}
	fmt.Fprintf(w, "\nMUST not checked (%d): the requirement applies, but the manifest does not declare what its spec needs:\n", n)
	for _, why := range reasons {
		fmt.Fprintf(w, "  %s: %s\n", strings.Join(byReason[why], ", "), why)
	}
	return n
}
