package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/results"
)

//go:embed templates/compare.html.tmpl
var compareTmpl string

var comparePage = template.Must(template.Must(template.New("common").Funcs(funcs).Parse(commonTmpl)).New("compare").Parse(compareTmpl))

// Input is one implementation's results for Compare.
type Input struct {
	Path string // where results.json was read (shown, and labels duplicates)
	Run  *results.Run
	// Report is a link to the run's report.html (relative to where the
	// comparison is written), or "" when there is none.
	Report string
}

// Comparison is several runs as an implementations x requirements matrix.
// Runs may test different profiles and suites, and come from sessionconf
// versions with different catalogs.
type Comparison struct {
	Impls []*Impl
	Rows  []*CompareRow
}

// Impl is one implementation's column group.
type Impl struct {
	Label    string
	Path     string
	Report   string
	Run      *results.Run
	Profiles []string
	Verdict  string
	Why      string
	Counts   string
}

// CompareRow is one requirement across every implementation and profile.
type CompareRow struct {
	ID, Level, Title string
	// Cells has one entry per implementation and profile, in Impls order.
	Cells []CompareCell
	// Differs: two implementations disagree in a profile both ran.
	Differs  bool
	Statuses string
}

// CompareCell is a requirement in one profile of one implementation: a
// part per suite (http, browser); none when it was not run.
type CompareCell struct {
	Impl, Profile string
	Parts         []CellPart
}

// CellPart is one suite's status.
type CellPart struct {
	Suite  string // "" for the http suite, whose status is the cell's headline
	Status results.Status
	Href   string // into the implementation's report.html, or ""
	Tip    string
}

// verdicts are a cell's statuses by suite, without skipped ones (a filter's
// doing, not a verdict, so it never makes implementations differ).
func (c CompareCell) verdicts(rs []results.Result) map[string]results.Status {
	v := map[string]results.Status{}
	for _, r := range rs {
		if r.Status != results.Skipped {
			v[r.Suite] = r.Status
		}
	}
	return v
}

// disagree reports whether two implementations gave different statuses in
// a suite both ran (one running the browser suite and the other not is no
// disagreement).
func disagree(impls []map[string]results.Status) bool {
	for i := range impls {
		for j := i + 1; j < len(impls); j++ {
			for suite, s := range impls[i] {
				if t, ok := impls[j][suite]; ok && t != s {
					return true
				}
			}
		}
	}
	return false
}

// Compare builds the matrix.
func Compare(in []Input) *Comparison {
	c := &Comparison{}
	labels := map[string]int{}
	for _, i := range in {
		labels[i.Run.Target.Name]++
	}
	var all []results.Result
	for _, i := range in {
		label := i.Run.Target.Name
		if label == "" {
			label = "(unnamed)"
		}
		if labels[i.Run.Target.Name] > 1 {
			label += " (" + i.Path + ")"
		}
		im := &Impl{Label: label, Path: i.Path, Report: i.Report, Run: i.Run, Profiles: profilesOf(i.Run)}
		n := map[results.Status]int{}
		for _, r := range i.Run.Results {
			n[r.Status]++
		}
		im.Verdict, im.Why = verdict(i.Run, n)
		var parts []string
		for _, s := range results.Statuses {
			if n[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
			}
		}
		im.Counts = strings.Join(parts, ", ")
		c.Impls = append(c.Impls, im)
		all = append(all, i.Run.Results...)
	}
	for _, id := range requirementOrder(all) {
		row := &CompareRow{ID: id}
		if req, ok := catalog.Get(id); ok {
			row.Level, row.Title = string(req.Level), req.Title
		}
		var sts []string
		byProfile := map[string][]map[string]results.Status{} // profile -> per implementation, suite -> status
		for _, im := range c.Impls {
			for _, p := range im.Profiles {
				cell := CompareCell{Impl: im.Label, Profile: p}
				var rs []results.Result
				for _, r := range im.Run.Results {
					if r.Requirement == id && r.Profile == p {
						rs = append(rs, r)
						if row.Title == "" {
							row.Level, row.Title = r.Level, r.Title
						}
					}
				}
				slices.SortStableFunc(rs, func(a, b results.Result) int { return suiteRank(a.Suite) - suiteRank(b.Suite) })
				for k, r := range rs {
					part := CellPart{Suite: r.Suite, Status: r.Status, Tip: tip(r)}
					if k == 0 && (r.Suite == "http" || r.Suite == "") {
						part.Suite = ""
					}
					if im.Report != "" {
						part.Href = im.Report + "#" + Anchor(r)
					}
					cell.Parts = append(cell.Parts, part)
					if !slices.Contains(sts, string(r.Status)) {
						sts = append(sts, string(r.Status))
					}
				}
				byProfile[p] = append(byProfile[p], cell.verdicts(rs))
				row.Cells = append(row.Cells, cell)
			}
		}
		for _, impls := range byProfile {
			row.Differs = row.Differs || disagree(impls)
		}
		row.Statuses = strings.Join(sts, " ")
		c.Rows = append(c.Rows, row)
	}
	return c
}

type comparePageData struct {
	assets
	Title     string
	C         *Comparison
	Generated string
	Statuses  []legend
	Differing int
}

// HTML writes the comparison as a self-contained page.
func (c *Comparison) HTML(w io.Writer, now time.Time) error {
	d := comparePageData{assets: inlineAssets(), C: c, Generated: now.UTC().Format("2006-01-02 15:04:05 UTC")}
	var names []string
	for _, im := range c.Impls {
		names = append(names, im.Label)
	}
	d.Title = "sessionconf compare: " + strings.Join(names, ", ")
	n := map[results.Status]int{}
	for _, r := range c.Rows {
		for _, cell := range r.Cells {
			for _, p := range cell.Parts {
				n[p.Status]++
			}
		}
		if r.Differs {
			d.Differing++
		}
	}
	for _, s := range results.Statuses {
		d.Statuses = append(d.Statuses, legend{s, Meaning(s), n[s]})
	}
	return comparePage.ExecuteTemplate(w, "compare", d)
}

// Markdown writes the comparison as Markdown tables; onlyDiff keeps the
// requirements on which implementations disagree.
func (c *Comparison) Markdown(w io.Writer, onlyDiff bool) error {
	var b strings.Builder
	b.WriteString("# sessionconf compare\n\n")
	b.WriteString("| implementation | results | verdict | profiles | results by status | sessionconf | filtered |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, im := range c.Impls {
		name := mdEscape(im.Label)
		if im.Report != "" {
			name = "[" + name + "](" + mdLink(im.Report) + ")"
		}
		filtered := "no"
		if im.Run.Filtered {
			filtered = "**yes**"
		}
		verdict := "**" + im.Verdict + "**"
		fmt.Fprintf(&b, "| %s | `%s` | %s %s | %s | %s | %s | %s |\n", name, mdCode(im.Path), verdict, mdEscape(im.Why),
			mdEscape(strings.Join(im.Profiles, ", ")), mdEscape(im.Counts), mdEscape(im.Run.SuiteVersion), filtered)
	}
	b.WriteString("\n| requirement | level |")
	sep := "|---|---|"
	for _, im := range c.Impls {
		for _, p := range im.Profiles {
			fmt.Fprintf(&b, " %s (%s) |", mdEscape(im.Label), mdEscape(p))
			sep += "---|"
		}
	}
	b.WriteString("\n" + sep + "\n")
	shown := 0
	for _, r := range c.Rows {
		if onlyDiff && !r.Differs {
			continue
		}
		shown++
		mark := ""
		if r.Differs {
			mark = " ≠"
		}
		fmt.Fprintf(&b, "| **%s**%s %s | %s |", mdEscape(r.ID), mark, mdEscape(r.Title), mdEscape(r.Level))
		for _, cell := range r.Cells {
			var parts []string
			for _, p := range cell.Parts {
				s := Symbol(p.Status) + " " + string(p.Status)
				if p.Suite != "" {
					s = mdEscape(p.Suite) + ": " + s
				}
				parts = append(parts, s)
			}
			fmt.Fprintf(&b, " %s |", strings.Join(parts, " / "))
		}
		b.WriteString("\n")
	}
	if onlyDiff && shown == 0 {
		b.WriteString("\nThe implementations agree on every requirement in every profile they share.\n")
	}
	b.WriteString("\nLegend: ✓ pass, ✗ fail, ⚠ error, ⊘ xfail (known-failing), ★ xpass (stale known-failing entry), – unsupported, · skipped (filtered out); an empty cell was not run. ≠ marks requirements on which implementations disagree in a profile they both ran.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape makes text safe in a Markdown table cell: no pipes or line
// breaks, and no raw HTML (renderers pass it through).
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "&", "&amp;", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "`", "'")
	return r.Replace(s)
}

func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
}

func mdLink(s string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(s)
}
