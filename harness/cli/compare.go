package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sessionconf/sessionconf/harness/report"
	"github.com/sessionconf/sessionconf/harness/results"
)

func init() {
	register("compare", "put several results.json side by side (implementations x requirements, HTML and Markdown)", compareCmd)
}

func compareCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", stderr)
	out := fs.String("out", "", "write compare.html and compare.md into this directory (default: Markdown on stdout)")
	onlyDiff := fs.Bool("only-differences", false, "Markdown: list only the requirements on which implementations disagree")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sessionconf compare [-out DIR] [-only-differences] RESULTS.json|REPORT-DIR ...")
		fs.PrintDefaults()
	}
	files, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "sessionconf compare: give one or more results.json files (or report directories)")
		return exitUsage
	}
	var outDir string
	if *out != "" {
		var err error
		if outDir, err = filepath.Abs(*out); err != nil {
			fmt.Fprintln(stderr, "sessionconf compare:", err)
			return exitUsage
		}
	}
	var inputs []report.Input
	for _, arg := range files {
		path := arg
		if info, err := os.Stat(arg); err == nil && info.IsDir() {
			path = filepath.Join(arg, "results.json")
		}
		run, err := results.ReadJSON(path)
		if err != nil {
			fmt.Fprintln(stderr, "sessionconf compare:", err)
			return exitUsage
		}
		in := report.Input{Path: path, Run: run}
		if outDir != "" {
			html, _ := filepath.Abs(filepath.Join(filepath.Dir(path), report.FileName))
			if fileExists(html) {
				if rel, err := filepath.Rel(outDir, html); err == nil {
					in.Report = filepath.ToSlash(rel)
				}
			}
		}
		inputs = append(inputs, in)
	}
	c := report.Compare(inputs)
	if outDir == "" {
		if err := c.Markdown(stdout, *onlyDiff); err != nil {
			fmt.Fprintln(stderr, "sessionconf compare:", err)
			return exitFail
		}
		return exitOK
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		fmt.Fprintln(stderr, "sessionconf compare:", err)
		return exitFail
	}
	var h, m bytes.Buffer
	if err := c.HTML(&h, time.Now()); err != nil {
		fmt.Fprintln(stderr, "sessionconf compare:", err)
		return exitFail
	}
	if err := c.Markdown(&m, *onlyDiff); err != nil {
		fmt.Fprintln(stderr, "sessionconf compare:", err)
		return exitFail
	}
	for name, data := range map[string][]byte{"compare.html": h.Bytes(), "compare.md": m.Bytes()} {
		if err := os.WriteFile(filepath.Join(outDir, name), data, 0o644); err != nil {
			fmt.Fprintln(stderr, "sessionconf compare:", err)
			return exitFail
		}
	}
	fmt.Fprintf(stdout, "sessionconf compare: %d implementation(s): %s, %s\n", len(inputs), filepath.Join(outDir, "compare.html"), filepath.Join(outDir, "compare.md"))
	return exitOK
}
