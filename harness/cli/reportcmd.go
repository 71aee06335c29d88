package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sessionconf/sessionconf/harness/report"
	"github.com/sessionconf/sessionconf/harness/results"
)

func init() {
	register("report", "render report.html and junit.xml again from a results.json (and a Markdown summary with -summary-md)", reportCmd)
}

// reportCmd renders a run's reports from its results.json alone: after
// copying a report directory out of a container or CI job, or to get the
// Markdown summary of a run made without -summary-md. The evidence is
// read from beside results.json, where the run wrote it.
func reportCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("report", stderr)
	summaryMD := fs.String("summary-md", "", "append a Markdown summary of the run to this file (e.g. \"$GITHUB_STEP_SUMMARY\")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sessionconf report [-summary-md FILE] RESULTS.json|REPORT-DIR")
		fs.PrintDefaults()
	}
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	path := pos[0]
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		path = filepath.Join(path, "results.json")
	}
	run, err := results.ReadJSON(path)
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf report:", err)
		return exitUsage
	}
	dir := filepath.Dir(path)
	if _, err := run.WriteJUnit(dir); err != nil {
		fmt.Fprintln(stderr, "sessionconf report:", err)
		return exitFail
	}
	html, err := report.Write(dir, run, report.Options{})
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf report:", err)
		return exitFail
	}
	if *summaryMD != "" {
		writeSummaryMarkdown(*summaryMD, run, stderr)
	}
	fmt.Fprintf(stdout, "sessionconf report: %s, %s\nsessionconf %s\n", html, filepath.Join(dir, "junit.xml"), report.VerdictLine(run))
	return exitOK
}
