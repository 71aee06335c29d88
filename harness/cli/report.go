package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sessionconf/sessionconf/harness/report"
	"github.com/sessionconf/sessionconf/harness/results"
)

// writeHTMLReport renders report.html beside the merged results.json. A
// report that cannot be written is said, but does not change the verdict.
func writeHTMLReport(reports string, run *results.Run, stderr io.Writer) {
	if _, err := report.Write(reports, run, report.Options{}); err != nil {
		fmt.Fprintln(stderr, "sessionconf: writing the HTML report:", err)
	}
}

// writeSummaryMarkdown appends the run's Markdown summary to path:
// appends, because $GITHUB_STEP_SUMMARY is one file per step that other
// commands of the step may write too. Like the HTML report, a summary
// that cannot be written is said but does not change the verdict.
func writeSummaryMarkdown(path string, run *results.Run, stderr io.Writer) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		err = report.SummaryMarkdown(f, run)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf: writing the Markdown summary:", err)
	}
}

// rebaseEvidence makes the evidence paths of a suite run's results, which
// are relative to the suite run's directory (<reports>/<profile>/<suite>),
// relative to the top report directory, where the merged results.json and
// report.html live.
func rebaseEvidence(r *results.Run, reports, dir string) {
	rel, err := filepath.Rel(reports, dir)
	if err != nil || rel == "." {
		return
	}
	for i := range r.Results {
		for k, e := range r.Results[i].Evidence {
			if e.Path != "" && !filepath.IsAbs(e.Path) {
				r.Results[i].Evidence[k].Path = filepath.ToSlash(filepath.Join(rel, e.Path))
			}
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
