// Package report renders a conformance run as one self-contained HTML file
// (report.html) and compares several runs side by side (HTML and
// Markdown).
//
// The report opens from disk with no network: its CSS, script and
// screenshots are inline, and a Content-Security-Policy forbids loading
// anything else, so a hostile journal or log (the target's output is not
// ours) cannot run a script or call home even if escaping failed. Evidence
// is read from the report directory, capped per file and in total, and
// embedded failing results first.
package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/results"
)

// FileName is the report's name in the report directory.
const FileName = "report.html"

//go:embed assets/style.css
var styleCSS string

//go:embed assets/report.js
var reportJS string

//go:embed templates/report.html.tmpl
var reportTmpl string

//go:embed templates/common.html.tmpl
var commonTmpl string

// Options bound what the report embeds.
type Options struct {
	// Dir is the report directory: evidence paths are relative to it, and
	// no file outside it is read.
	Dir string
	// MaxText caps one text file (journal); larger ones keep their head
	// and tail. Default 256 KiB.
	MaxText int
	// LogLines is how many last lines of a target log are shown. Default 200.
	LogLines int
	// MaxImage caps one inlined image; larger ones are linked. Default 2 MiB.
	MaxImage int64
	// MaxTotal caps everything embedded; failing results come first, then
	// the rest are linked. Default 48 MiB.
	MaxTotal int64
	// Now stamps the report (tests fix it).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MaxText <= 0 {
		o.MaxText = 256 << 10
	}
	if o.LogLines <= 0 {
		o.LogLines = 200
	}
	if o.MaxImage <= 0 {
		o.MaxImage = 2 << 20
	}
	if o.MaxTotal <= 0 {
		o.MaxTotal = 48 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Write renders run into dir/report.html (atomically) and returns its path.
func Write(dir string, run *results.Run, o Options) (string, error) {
	if o.Dir == "" {
		o.Dir = dir
	}
	var b bytes.Buffer
	if err := Render(&b, run, o); err != nil {
		return "", err
	}
	p := filepath.Join(dir, FileName)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return "", err
	}
	return p, os.Rename(tmp, p)
}

// Render writes the HTML report of run to w.
func Render(w io.Writer, run *results.Run, o Options) error {
	o = o.withDefaults()
	pg := buildPage(run, o)
	return pages.ExecuteTemplate(w, "report", pg)
}

var pages = template.Must(template.Must(template.New("common").Funcs(funcs).Parse(commonTmpl)).New("report").Parse(reportTmpl))

var funcs = template.FuncMap{
	"symbol": Symbol,
	"seconds": func(s float64) string {
		if s < 10 {
			return fmt.Sprintf("%.2f s", s)
		}
		return fmt.Sprintf("%.1f s", s)
	},
	"size":  humanSize,
	"join":  strings.Join,
	"clean": clean,
	"inc":   func(n int) int { return n + 1 },
	"dict":  dict,
	"words": func(s string) []string { return strings.Split(s, " ") },
}

// dict builds a template's argument from name, value pairs.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict wants name, value pairs, got %d arguments", len(kv))
	}
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		name, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: name %v is not a string", kv[i])
		}
		m[name] = kv[i+1]
	}
	return m, nil
}

// Symbol is the non-colour cue of a status.
func Symbol(s results.Status) string {
	switch s {
	case results.Pass:
		return "✓"
	case results.Fail:
		return "✗"
	case results.Error:
		return "⚠"
	case results.XFail:
		return "⊘"
	case results.XPass:
		return "★"
	case results.Unsupported:
		return "–"
	case results.Skipped:
		return "·"
	}
	return "?"
}

// Meaning is a status's one-line legend.
func Meaning(s results.Status) string {
	switch s {
	case results.Pass:
		return "the promise holds"
	case results.Fail:
		return "the implementation breaks it"
	case results.Error:
		return "the harness or its infrastructure broke; nothing is known"
	case results.XFail:
		return "known-failing, and still failing"
	case results.XPass:
		return "known-failing but passing: the list is stale"
	case results.Unsupported:
		return "does not apply to the profile, or the feature is not declared"
	case results.Skipped:
		return "left out by a label filter"
	}
	return ""
}

// assets are the inline CSS and script plus the policy that allows
// exactly them.
type assets struct {
	CSS template.CSS
	JS  template.JS
	CSP string
}

func inlineAssets() assets {
	sum := sha256.Sum256([]byte(reportJS))
	csp := "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
	return assets{CSS: template.CSS(styleCSS), JS: template.JS(reportJS), CSP: csp}
}

type page struct {
	assets
	Title      string
	Run        *results.Run
	Verdict    string
	VerdictWhy string
	Generated  string
	Started    string
	Suites     []string
	Counts     []count
	ByProfile  []profileCount
	Statuses   []legend
	Columns    []column
	Rows       []row // requirements that ran somewhere
	// QuietRows are the requirements that ran nowhere (every result
	// unsupported or skipped): folded away below the matrix.
	QuietRows []row
	Problems  []problemView
	// ProblemCount counts the results behind Problems (one entry stands
	// for every result that shares its cause).
	ProblemCount int
	NotChecked   []NotCheckedGroup
	Suggest      string
	Stale        []string
	Reqs         []*reqView // requirements with a problem first
	QuietReqs    []*reqView
	Budget       string // a note when the evidence budget ran out
}

type count struct {
	Status results.Status
	N      int
}

type legend struct {
	Status  results.Status
	Meaning string
	N       int
}

type profileCount struct {
	Profile string
	Counts  []count
}

type column struct {
	Profile, Suite string
}

func (c column) Label() string {
	if c.Suite == "" {
		return c.Profile
	}
	return c.Profile + " / " + c.Suite
}

type row struct {
	ID, Level, Title string
	Cells            []cell
	Statuses         string // space-separated, for the filters
	Search           string
}

type cell struct {
	Status results.Status
	Anchor string
	Tip    string
}

type reqView struct {
	ID, Level, Title, Text, Source string
	Known                          bool // in this sessionconf's catalog
	Results                        []*resultView
	Statuses                       string
	Search                         string
}

// rank orders requirements by their worst result: a fail, an error, an
// xpass, then the rest.
func (rv *reqView) rank() int {
	best := len(problemOrder)
	for _, v := range rv.Results {
		if r := problemRank(v.Status); r >= 0 && r < best {
			best = r
		}
	}
	return best
}

// quiet reports whether the requirement ran nowhere: every result is
// unsupported or skipped.
func (rv *reqView) quiet() bool {
	return !slices.ContainsFunc(rv.Results, func(v *resultView) bool {
		return v.Status != results.Unsupported && v.Status != results.Skipped
	})
}

// problemView is one entry of Problems: a result, and the others of its
// profile and suite that failed with the same first message.
type problemView struct {
	*resultView
	Also []*resultView
}

type resultView struct {
	results.Result
	Anchor   string
	Problem  bool
	Open     bool
	Evidence []evidenceView
	// FirstMessage is what the Problems list shows of the result.
	FirstMessage string
	// Messages beyond the first few fold away.
	MessagesLabel string
	FirstMessages []string
	MoreMessages  []string
}

// shownMessages is how many messages a result shows before folding.
const shownMessages = 5

func newResultView(r results.Result) *resultView {
	v := &resultView{Result: r, Anchor: Anchor(r), Problem: r.Status.Failing(), FirstMessage: FirstMessage(r, 300)}
	v.Open = v.Problem
	v.FirstMessages = r.Messages
	if len(r.Messages) > shownMessages {
		v.FirstMessages, v.MoreMessages = r.Messages[:shownMessages], r.Messages[shownMessages:]
	}
	switch {
	case r.Status == results.Fail || r.Status == results.XFail:
		v.MessagesLabel = fmt.Sprintf("%d failed expectation(s):", len(r.Messages))
	case len(r.Messages) == 1:
		v.MessagesLabel = "Message:"
	default:
		v.MessagesLabel = fmt.Sprintf("%d messages:", len(r.Messages))
	}
	return v
}

// Anchor is the fragment id of a result; compare links to it, so it stays
// stable: res-<requirement>-<profile>-<suite>.
func Anchor(r results.Result) string {
	return "res-" + idSafe(r.Requirement) + "-" + idSafe(r.Profile) + "-" + idSafe(r.Suite)
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func idSafe(s string) string {
	if s == "" {
		return "_"
	}
	return unsafeID.ReplaceAllString(s, "_")
}

func buildPage(run *results.Run, o Options) *page {
	pg := &page{
		assets:    inlineAssets(),
		Title:     "sessionconf report: " + run.Target.Name,
		Run:       run,
		Generated: o.Now().UTC().Format("2006-01-02 15:04:05 UTC"),
	}
	if !run.Started.IsZero() {
		pg.Started = run.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	summary := map[results.Status]int{}
	for _, r := range run.Results {
		summary[r.Status]++
	}
	pg.Verdict, pg.VerdictWhy = verdict(run, summary)
	for _, s := range results.Statuses {
		pg.Statuses = append(pg.Statuses, legend{s, Meaning(s), summary[s]})
		if summary[s] > 0 {
			pg.Counts = append(pg.Counts, count{s, summary[s]})
		}
	}

	profiles := profilesOf(run)
	pg.Suites = suitesOf(run.Results)
	for _, p := range profiles {
		pc := profileCount{Profile: p}
		n := map[results.Status]int{}
		for _, r := range run.Results {
			if r.Profile == p {
				n[r.Status]++
			}
		}
		for _, s := range results.Statuses {
			if n[s] > 0 {
				pc.Counts = append(pc.Counts, count{s, n[s]})
			}
		}
		pg.ByProfile = append(pg.ByProfile, pc)
		for _, s := range pg.Suites {
			if !slices.ContainsFunc(run.Results, func(r results.Result) bool { return r.Profile == p && r.Suite == s }) {
				continue
			}
			c := column{Profile: p}
			if len(pg.Suites) > 1 {
				c.Suite = s
			}
			pg.Columns = append(pg.Columns, c)
		}
	}

	// One view per result, in the run's order; evidence is loaded failing
	// results first so they get the budget.
	views := make([]*resultView, len(run.Results))
	var problems []*resultView
	byReq := map[string][]*resultView{}
	for i, r := range run.Results {
		v := newResultView(r)
		views[i] = v
		byReq[r.Requirement] = append(byReq[r.Requirement], v)
		if v.Problem {
			problems = append(problems, v)
		}
	}
	ld := &loader{o: o, left: o.MaxTotal}
	for _, rank := range []func(results.Status) bool{
		results.Status.Failing,
		func(s results.Status) bool { return s == results.XFail },
		func(s results.Status) bool { return !s.Failing() && s != results.XFail },
	} {
		for _, v := range views {
			if rank(v.Status) {
				for _, e := range v.Result.Evidence {
					v.Evidence = append(v.Evidence, ld.load(e))
				}
			}
		}
	}
	// Failures first, then errors, then stale known-failing entries: what
	// the implementation breaks matters most.
	slices.SortStableFunc(problems, func(a, b *resultView) int { return problemRank(a.Status) - problemRank(b.Status) })
	for _, g := range SharedCauses(problems, func(v *resultView) results.Result { return v.Result }) {
		pg.Problems = append(pg.Problems, problemView{g[0], g[1:]})
	}
	pg.ProblemCount = len(problems)
	if ld.exhausted {
		pg.Budget = fmt.Sprintf("The report embeds at most %s of evidence; the rest is linked (open the files next to this report).", humanSize(o.MaxTotal))
	}

	for _, id := range requirementOrder(run.Results) {
		rv := &reqView{ID: id, Results: byReq[id]}
		if req, ok := catalog.Get(id); ok {
			rv.Level, rv.Title, rv.Text, rv.Source, rv.Known = string(req.Level), req.Title, req.Text, req.Source, true
		} else {
			first := byReq[id][0]
			rv.Level, rv.Title = first.Level, first.Title
		}
		var sts []string
		rw := row{ID: id, Level: rv.Level, Title: rv.Title}
		for _, c := range pg.Columns {
			cl := cell{}
			for _, v := range byReq[id] {
				if v.Profile == c.Profile && (c.Suite == "" || v.Suite == c.Suite) {
					cl = cell{Status: v.Status, Anchor: v.Anchor, Tip: tip(v.Result)}
					break
				}
			}
			rw.Cells = append(rw.Cells, cl)
		}
		for _, v := range byReq[id] {
			if !slices.Contains(sts, string(v.Status)) {
				sts = append(sts, string(v.Status))
			}
		}
		rw.Statuses = strings.Join(sts, " ")
		rv.Statuses = rw.Statuses
		rw.Search = id + " " + rv.Title + " " + rv.Level
		rv.Search = rw.Search
		if rv.quiet() {
			pg.QuietRows = append(pg.QuietRows, rw)
			pg.QuietReqs = append(pg.QuietReqs, rv)
		} else {
			pg.Rows = append(pg.Rows, rw)
			pg.Reqs = append(pg.Reqs, rv)
		}
	}
	// Failures first: the requirements with a fail lead the details, then
	// those with an error, then xpass, each in catalog order.
	slices.SortStableFunc(pg.Reqs, func(a, b *reqView) int { return a.rank() - b.rank() })
	pg.NotChecked = GroupNotChecked(run)
	pg.Suggest, pg.Stale = SuggestKnownFailing(run)
	return pg
}

// problemOrder is the order problems are listed in: what the
// implementation breaks, what could not be checked, stale list entries.
var problemOrder = []results.Status{results.Fail, results.Error, results.XPass}

func problemRank(s results.Status) int {
	return slices.Index(problemOrder, s)
}

func verdict(run *results.Run, n map[results.Status]int) (string, string) {
	executed := 0
	for s, c := range n {
		if s != results.Unsupported && s != results.Skipped {
			executed += c
		}
	}
	if executed == 0 {
		return "FAIL", "no requirement was executed"
	}
	bad := n[results.Fail] + n[results.Error] + n[results.XPass]
	passed := n[results.Pass] // an xfail is a known failure, not a pass
	if bad > 0 {
		return "FAIL", fmt.Sprintf("%d passed, %d failed (%d fail, %d error, %d xpass); %d xfail", passed, bad, n[results.Fail], n[results.Error], n[results.XPass], n[results.XFail])
	}
	return "PASS", fmt.Sprintf("%d passed, 0 failed; %d xfail", passed, n[results.XFail])
}

func tip(r results.Result) string {
	s := fmt.Sprintf("%s %s, %s profile", r.Requirement, r.Status, r.Profile)
	if r.Suite != "" {
		s += ", " + r.Suite + " suite"
	}
	if r.Reason != "" {
		s += ": " + r.Reason
	} else if len(r.Messages) > 0 {
		s += ": " + firstLine(r.Messages[0], 160)
	}
	return s
}

// firstLine is s's first line, cut to at most n bytes on a character
// boundary.
func firstLine(s string, n int) string {
	s, rest, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if strings.HasSuffix(s, ":") {
		// The line only announces what follows ("... its log ends with:").
		next, _, _ := strings.Cut(strings.TrimSpace(rest), "\n")
		s += " " + next
	}
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// profilesOf returns the run's profiles in its order, plus any that only
// its results name.
func profilesOf(run *results.Run) []string {
	out := slices.Clone(run.Profiles)
	for _, r := range run.Results {
		if !slices.Contains(out, r.Profile) {
			out = append(out, r.Profile)
		}
	}
	return out
}

// suitesOf returns the suites of rs, http first.
func suitesOf(rs []results.Result) []string {
	var out []string
	for _, r := range rs {
		if !slices.Contains(out, r.Suite) {
			out = append(out, r.Suite)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return suiteRank(out[i]) < suiteRank(out[j]) })
	return out
}

func suiteRank(s string) int {
	switch s {
	case "http":
		return 0
	case "browser":
		return 1
	}
	return 2
}

// requirementOrder is the catalog's order, then IDs this sessionconf does
// not know (a run of another version) sorted.
func requirementOrder(rs []results.Result) []string {
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.Requirement] = true
	}
	var out []string
	for _, req := range catalog.All() {
		if seen[req.ID] {
			out = append(out, req.ID)
			delete(seen, req.ID)
		}
	}
	var rest []string
	for id := range seen {
		rest = append(rest, id)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// SuggestKnownFailing returns the known-failing entries a failed run
// suggests (the block the console prints) and the stale entries its
// xpass results show.
func SuggestKnownFailing(run *results.Run) (suggest string, stale []string) {
	failed := map[string]map[string]string{}
	for _, r := range run.Results {
		switch r.Status {
		case results.Fail:
			if failed[r.Profile] == nil {
				failed[r.Profile] = map[string]string{}
			}
			failed[r.Profile][r.Requirement] = strings.Join(r.Messages, " ")
		case results.XPass:
			e := r.Requirement + "@" + r.Profile
			if !slices.Contains(stale, e) {
				stale = append(stale, e)
			}
		}
	}
	var b strings.Builder
	for _, p := range profilesOf(run) {
		if f := failed[p]; len(f) > 0 {
			b.WriteString(knownfail.Suggest(f, catalog.Profile(p)))
		}
	}
	return b.String(), stale
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
