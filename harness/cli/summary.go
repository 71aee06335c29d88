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
	shown := tableRows(run)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "REQUIREMENT\tLEVEL\t%s\n", strings.ToUpper(strings.Join(run.Profiles, "\t")))
	for _, req := range catalog.All() {
		if !shown[req.ID] {
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
	printNotChecked(w, run)
	fmt.Fprintf(w, "\nReports: %s, %s", filepath.Join(reports, "results.json"), filepath.Join(reports, "junit.xml"))
	if html := filepath.Join(reports, report.FileName); fileExists(html) {
		fmt.Fprintf(w, ", %s (open it in a browser; it needs no network)", html)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "sessionconf "+report.VerdictLine(run))
	if run.Executed() == 0 {
		fmt.Fprintln(w, "sessionconf: no requirement was executed, so the run fails (check -label-filter and the manifest's profiles)")
	}
}

// tableRows are the requirements the console table shows: those that ran
// or should have (a MUST not checked) somewhere. One filtered out
// everywhere, or by design for none of the run's profiles (FAILOVER-1 in
// a run without Sentinel), is a row of noise; report.html folds them.
func tableRows(run *results.Run) map[string]bool {
	shown := map[string]bool{}
	for _, r := range run.Results {
		byDesign := r.Status == results.Unsupported && !r.NotChecked
		if r.Status != results.Skipped && !byDesign {
			shown[r.Requirement] = true
		}
	}
	return shown
}

func seconds(s float64, round time.Duration) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(round)
}

// printNotChecked lists the MUST requirements that apply to a profile but
// were not checked because the manifest does not declare what their specs
// need, grouped by what to declare. They fail nothing, and must not pass
// unseen.
func printNotChecked(w io.Writer, run *results.Run) {
	groups := report.GroupNotChecked(run)
	if len(groups) == 0 {
		return
	}
	fmt.Fprintf(w, "\nMUST not checked (%d): the requirement applies, but the manifest does not declare what its spec needs:\n", len(report.NotCheckedMust(run)))
	for _, g := range groups {
		fmt.Fprintf(w, "  %s: %s\n", strings.Join(g.Where, ", "), g.Reason)
	}
}

// printFailures lists what failed the run before the table, each with its
// first message and the command that runs it again alone: what a person
// reading a CI log acts on first. One cause shared by many requirements of
// a suite run (it could not start, it wrote nothing) is printed once, with
// the requirements it hit.
func printFailures(w io.Writer, run *results.Run) {
	failures := report.Failures(run)
	if len(failures) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFailures (%d):\n", len(failures))
	for _, g := range report.GroupFailures(failures) {
		r := g[0]
		where := r.Profile
		if r.Suite != "" {
			where += "/" + r.Suite
		}
		if len(g) == 1 {
			fmt.Fprintf(w, "  %-5s %s %s: %s\n", r.Status, r.Requirement, where, report.FirstMessage(r, 160))
		} else {
			fmt.Fprintf(w, "  %-5s %d requirements %s: %s\n", r.Status, len(g), where, report.FirstMessage(r, 160))
			fmt.Fprintf(w, "        %s\n", report.Requirements(g, 10))
		}
		if r.Reproduce != "" {
			fmt.Fprintf(w, "        %s\n", r.Reproduce)
		}
	}
}
