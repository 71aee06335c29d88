package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/sessionconf/sessionconf/harness/results"
)

// hostile is what a target could print into its log or a journal note.
const hostile = `<script>alert("journal")</script></pre><img src=x onerror=alert(1)>"><svg onload=alert(2)><a href="javascript:alert(3)">x</a>`

func writeFile(t *testing.T, dir, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			h := uint32(x*73856093) ^ uint32(y*19349663)
			h ^= h >> 13
			h *= 0x5bd1e995
			img.Set(x, y, color.RGBA{uint8(h), uint8(h >> 8), uint8(h >> 16), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fixture is a run with every status, two profiles, two suites, and
// evidence of every kind, some of it hostile.
func fixture(t *testing.T) (*results.Run, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "reports")
	writeFile(t, root, "secret.txt", []byte("TOP-SECRET-OUTSIDE"))
	writeFile(t, dir, "filesystem/http/evidence/LIFE-1/journal.txt", []byte("t+ 0.001s  == start a\n"+hostile+"\n\x1b[31mred\x1b[0m \x00nul\n"))
	var log strings.Builder
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&log, "log line %d\n", i)
	}
	writeFile(t, dir, "filesystem/http/evidence/LIFE-1/target-a-1.log", []byte(log.String()))
	writeFile(t, dir, "filesystem/browser/evidence/LIFE-1/after-restart.png", pngOf(t, 8, 8))
	writeFile(t, dir, "filesystem/browser/evidence/LIFE-1/huge.png", pngOf(t, 300, 300))
	writeFile(t, dir, "filesystem/browser/evidence/LIFE-1/evil.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(4)"><script>alert(5)</script></svg>`))
	writeFile(t, dir, "redis/http/evidence/PERSIST-1/journal.txt", []byte("xpass journal\n"))
	writeFile(t, dir, "filesystem/http/evidence/PERSIST-1/journal.txt", []byte(strings.Repeat("pass journal\n", 100)))
	writeFile(t, dir, "redis/http/evidence/PERSIST-1/blob.bin", []byte{0, 1, 2, 3, 0xff})

	ev := func(name, path string) results.Evidence { return results.Evidence{Name: name, Path: path} }
	run := &results.Run{
		Schema: results.Schema, SuiteVersion: "0.1.0",
		Target:   results.Target{Name: `evil <b>"app"</b>`, Manifest: "apps/evil.yaml", Mode: "process"},
		Profiles: []string{"filesystem", "redis"}, Redis: "container",
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Duration: 12.5,
		KnownFailing: "apps/evil.known-failing", Filtered: true,
		Results: []results.Result{
			{Requirement: "PERSIST-1", Level: "MUST", Title: "Survives a graceful restart", Profile: "filesystem", Suite: "http", Status: results.Pass,
				Evidence: []results.Evidence{ev("journal.txt", "filesystem/http/evidence/PERSIST-1/journal.txt")}},
			{Requirement: "PERSIST-1", Level: "MUST", Title: "Survives a graceful restart", Profile: "redis", Suite: "http", Status: results.XPass,
				Messages: []string{"PERSIST-1 passed, but list:3 lists it: remove the entry"},
				Evidence: []results.Evidence{ev("journal.txt", "redis/http/evidence/PERSIST-1/journal.txt"), ev("blob.bin", "redis/http/evidence/PERSIST-1/blob.bin")}},
			{Requirement: "LIFE-1", Level: "MUST", Title: "The server enforces expiry", Profile: "filesystem", Suite: "http", Status: results.Fail,
				Messages: []string{"dashboard gave " + hostile, "second\nline", "3", "4", "5", "6", "seventh"},
				Evidence: []results.Evidence{
					ev("journal.txt", "filesystem/http/evidence/LIFE-1/journal.txt"),
					ev("target-a-1.log", "filesystem/http/evidence/LIFE-1/target-a-1.log"),
					ev("secret.txt", "../secret.txt"),
					ev("abs.txt", filepath.Join(root, "secret.txt")),
					ev("gone.txt", "filesystem/http/evidence/LIFE-1/gone.txt"),
				}},
			{Requirement: "LIFE-1", Level: "MUST", Title: "The server enforces expiry", Profile: "filesystem", Suite: "browser", Status: results.Error,
				Messages: []string{"chromium crashed"},
				Evidence: []results.Evidence{
					ev("after-restart.png", "filesystem/browser/evidence/LIFE-1/after-restart.png"),
					ev("huge.png", "filesystem/browser/evidence/LIFE-1/huge.png"),
					ev("evil.svg", "filesystem/browser/evidence/LIFE-1/evil.svg"),
				}},
			{Requirement: "LIFE-1", Level: "MUST", Title: "The server enforces expiry", Profile: "redis", Suite: "http", Status: results.XFail, Reason: "list:2: the janitor is slow", Messages: []string{"still there"}},
			{Requirement: "LIFE-7", Level: "MUST", Title: "Every session key has a bounded TTL", Profile: "filesystem", Suite: "http", Status: results.Unsupported, Reason: "TTLs are a Redis concept"},
			{Requirement: "LIFE-7", Level: "MUST", Title: "Every session key has a bounded TTL", Profile: "redis", Suite: "http", Status: results.Skipped, Reason: "label filter"},
			{Requirement: "ZZZ-9", Level: "MAY", Title: "From a newer sessionconf", Profile: "redis", Suite: "http", Status: results.Pass},
		},
	}
	return run, dir
}

func render(t *testing.T, run *results.Run, o Options) (string, *html.Node) {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC) }
	}
	var b bytes.Buffer
	if err := Render(&b, run, o); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), doc
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

func byID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) {
		if v, ok := attr(n, "id"); ok && v == id && found == nil {
			found = n
		}
	})
	return found
}

func elements(doc *html.Node, tag string) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

func TestHostileContentIsInert(t *testing.T) {
	run, dir := fixture(t)
	out, doc := render(t, run, Options{Dir: dir, MaxImage: 4 << 10})

	scripts := elements(doc, "script")
	if len(scripts) != 1 {
		t.Fatalf("want exactly the report's own script, found %d script elements", len(scripts))
	}
	if got := text(scripts[0]); got != reportJS {
		t.Errorf("the one script is not the report's (starts %q)", got[:min(60, len(got))])
	}
	for _, tag := range []string{"svg", "iframe", "object", "embed", "link", "base", "form"} {
		if n := len(elements(doc, tag)); n > 0 {
			t.Errorf("%d <%s> elements made it into the report", n, tag)
		}
	}
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has an event handler attribute %s=%q", n.Data, a.Key, a.Val)
			}
			if (a.Key == "href" || a.Key == "src") && regexp.MustCompile(`(?i)^\s*(javascript:|https?:|file:|//)`).MatchString(a.Val) {
				t.Errorf("<%s %s=%q> points outside the report", n.Data, a.Key, a.Val)
			}
		}
	})
	// The hostile text is there, as text.
	var shown bool
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "pre" && strings.Contains(text(n), `<script>alert("journal")</script>`) {
			shown = true
		}
	})
	if !shown {
		t.Error("the journal's hostile line is not shown as text")
	}
	if strings.Contains(out, "\x00") || strings.Contains(out, "\x1b") {
		t.Error("control characters of the journal reached the HTML")
	}
	if strings.Contains(out, "TOP-SECRET-OUTSIDE") {
		t.Error("an evidence path outside the report directory was read")
	}
	if !strings.Contains(out, "outside the report directory") {
		t.Error("the refused path is not explained")
	}
	if strings.Contains(out, "alert(5)") && !strings.Contains(out, "&lt;script&gt;alert(5)") {
		t.Error("the SVG's script is in the report unescaped")
	}
	if h1 := elements(doc, "h1"); len(h1) != 1 || text(h1[0]) != `sessionconf report: evil <b>"app"</b>` {
		t.Errorf("target name not escaped as text: %v", h1)
	}
}

func TestContentSecurityPolicyAllowsOnlyOurScript(t *testing.T) {
	run, dir := fixture(t)
	_, doc := render(t, run, Options{Dir: dir})
	var csp string
	for _, m := range elements(doc, "meta") {
		if v, _ := attr(m, "http-equiv"); v == "Content-Security-Policy" {
			csp, _ = attr(m, "content")
		}
	}
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "img-src data:") {
		t.Errorf("policy %q does not forbid the network", csp)
	}
	sum := sha256.Sum256([]byte(text(elements(doc, "script")[0])))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
		t.Errorf("policy %q does not allow the inline script's hash %s (the filters would not run)", csp, want)
	}
	if n := len(elements(doc, "style")); n != 1 {
		t.Errorf("want one inline stylesheet, got %d", n)
	}
}

func TestStructure(t *testing.T) {
	run, dir := fixture(t)
	out, doc := render(t, run, Options{Dir: dir, MaxImage: 4 << 10})

	// Summary and verdict.
	for _, want := range []string{"FAIL", "Filtered run", "container", "apps/evil.known-failing", "12.5 s", "2026-01-02 03:04:05 UTC"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	// Problems: fail, then error, then xpass, whatever the run's order.
	var order []string
	for _, li := range elements(elements(byID(doc, "problems"), "ol")[0], "li") {
		order = append(order, strings.Fields(text(li))[1])
	}
	if got := strings.Join(order, " "); got != "fail error xpass" {
		t.Errorf("problems in the order %q, want fail error xpass", got)
	}
	// Suggested known-failing block and stale entries.
	if s := byID(doc, "suggested-known-failing"); s == nil {
		t.Error("no suggested known-failing block")
	}
	if !strings.Contains(out, "LIFE-1@filesystem  # TODO why:") {
		t.Error("the suggested block lacks LIFE-1@filesystem")
	}
	if !strings.Contains(out, "PERSIST-1@redis") {
		t.Error("the stale entry PERSIST-1@redis is not listed")
	}

	// The matrix: one row per requirement, one column per profile and suite.
	matrix := elements(byID(doc, "matrix"), "table")[0]
	var heads []string
	for _, th := range elements(elements(matrix, "thead")[0], "th") {
		heads = append(heads, text(th))
	}
	want := []string{"requirement", "level", "title", "filesystem / http", "filesystem / browser", "redis / http"}
	if strings.Join(heads, "|") != strings.Join(want, "|") {
		t.Errorf("matrix columns %q, want %q", heads, want)
	}
	rows := elements(elements(matrix, "tbody")[0], "tr")
	rowIDs := func(rows []*html.Node) string {
		var ids []string
		for _, r := range rows {
			ids = append(ids, text(elements(r, "th")[0]))
		}
		return strings.Join(ids, " ")
	}
	if got := rowIDs(rows); got != "PERSIST-1 LIFE-1 ZZZ-9" {
		t.Errorf("matrix rows %q: want catalog order, unknown IDs last, and no requirement that ran nowhere", got)
	}
	// The matrix scrolls in its own box; requirements that ran nowhere
	// (LIFE-7: unsupported and skipped) are folded below it, closed.
	if box := matrix.Parent; box == nil || !strings.Contains(attrOf(box, "class"), "matrix-box") {
		t.Error("the matrix is not inside its scrolling box")
	}
	quiet := byID(doc, "quiet-matrix")
	if quiet == nil || quiet.Data != "details" {
		t.Fatal("no folded table of the requirements that ran nowhere")
	}
	if _, open := attr(quiet, "open"); open || rowIDs(elements(elements(quiet, "tbody")[0], "tr")) != "LIFE-7" {
		t.Errorf("the folded table is open or does not hold LIFE-7: %q", text(quiet))
	}
	if q := byID(doc, "quiet-details"); q == nil || byID(q, "req-LIFE-7") == nil {
		t.Error("LIFE-7's details are not folded away")
	}
	// Status is text as well as colour; cells link to the result.
	life1 := elements(rows[1], "td")
	for i, wantStatus := range []string{"fail", "error", "xfail"} {
		c := life1[2+i]
		if !strings.Contains(text(c), wantStatus) {
			t.Errorf("LIFE-1 cell %d reads %q, want the word %q", i, text(c), wantStatus)
		}
	}
	if txt := text(elements(rows[2], "td")[2]); !strings.Contains(txt, "not run") {
		t.Errorf("an empty cell reads %q; want a text cue", txt)
	}

	// Ids are unique and every fragment link lands.
	seen := map[string]bool{}
	walk(doc, func(n *html.Node) {
		if id, ok := attr(n, "id"); ok {
			if seen[id] {
				t.Errorf("duplicate id %q", id)
			}
			seen[id] = true
		}
	})
	walk(doc, func(n *html.Node) {
		if h, ok := attr(n, "href"); ok && strings.HasPrefix(h, "#") && !seen[h[1:]] {
			t.Errorf("link %q lands nowhere", h)
		}
	})

	// Requirement text from the catalog; an unknown ID is said to be unknown.
	if r := byID(doc, "req-LIFE-1"); r == nil || !strings.Contains(text(r), "MUST") {
		t.Error("LIFE-1's section is missing or lacks its level")
	}
	if r := byID(doc, "req-ZZZ-9"); r == nil || !strings.Contains(text(r), "Not in this sessionconf's catalog") {
		t.Error("the unknown requirement is not flagged")
	}

	// Problems open by default; passes closed.
	fail := byID(doc, "res-LIFE-1-filesystem-http")
	if _, open := attr(fail, "open"); !open {
		t.Error("the failing result is not open")
	}
	if _, open := attr(byID(doc, "res-PERSIST-1-filesystem-http"), "open"); open {
		t.Error("a passing result is open")
	}
	// Seven messages: five shown, two folded.
	if ft := text(fail); !strings.Contains(ft, "7 failed expectation(s)") || !strings.Contains(ft, "2 more") || !strings.Contains(ft, "seventh") {
		t.Errorf("messages not all there / not folded: %q", ft[:min(300, len(ft))])
	}

	// Evidence: the log's tail, the small screenshot inline, the big one
	// and the binary linked, the missing file said.
	ft := text(fail)
	if !strings.Contains(ft, "log line 500") || strings.Contains(ft, "log line 300\n") {
		t.Error("the log is not shown as its last 200 lines")
	}
	if !strings.Contains(ft, "missing") {
		t.Error("the missing evidence file is not reported")
	}
	var imgs []string
	for _, img := range elements(doc, "img") {
		src, _ := attr(img, "src")
		imgs = append(imgs, src)
		if alt, _ := attr(img, "alt"); alt == "" {
			t.Error("an image has no alt text")
		}
	}
	if len(imgs) != 1 || !strings.HasPrefix(imgs[0], "data:image/png;base64,") {
		t.Fatalf("want the one small PNG inline, got %d images %.40q", len(imgs), imgs)
	}
	if data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(imgs[0], "data:image/png;base64,")); err != nil || !bytes.Equal(data, pngOf(t, 8, 8)) {
		t.Error("the inlined PNG is not the screenshot")
	}
	if !strings.Contains(text(byID(doc, "res-LIFE-1-filesystem-browser")), "larger than the 4.0 KiB the report inlines") {
		t.Error("the oversized screenshot is not explained")
	}
	if !strings.Contains(text(byID(doc, "res-PERSIST-1-redis-http")), "binary file") {
		t.Error("the binary evidence is not linked as binary")
	}
	var links []string
	walk(doc, func(n *html.Node) {
		if h, ok := attr(n, "href"); ok && !strings.HasPrefix(h, "#") {
			links = append(links, h)
		}
	})
	if !contains(links, "filesystem/browser/evidence/LIFE-1/huge.png") || !contains(links, "filesystem/http/evidence/LIFE-1/journal.txt") {
		t.Errorf("evidence files are not linked relative to the report: %q", links)
	}
	if contains(links, "../secret.txt") {
		t.Error("a path outside the report is linked")
	}
}

func attrOf(n *html.Node, key string) string {
	v, _ := attr(n, key)
	return v
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestBudgetGoesToProblemsFirst(t *testing.T) {
	run, dir := fixture(t)
	// Room for the failing journal and the log tail, not for the pass.
	out, doc := render(t, run, Options{Dir: dir, MaxTotal: 4 << 10, MaxImage: 4 << 10})
	if !strings.Contains(text(byID(doc, "res-LIFE-1-filesystem-http")), `alert("journal")`) {
		t.Error("the failing result's journal was not embedded")
	}
	if !strings.Contains(text(byID(doc, "res-PERSIST-1-filesystem-http")), "budget is spent") {
		t.Error("evidence beyond the budget is not explained")
	}
	if !strings.Contains(out, "embeds at most 4.0 KiB") {
		t.Error("no note about the budget")
	}
}

func TestLongJournalKeepsHeadAndTail(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "entry %05d\n", i)
	}
	writeFile(t, dir, "e/journal.txt", []byte(b.String()))
	run := &results.Run{Schema: results.Schema, Target: results.Target{Name: "x"}, Profiles: []string{"redis"},
		Results: []results.Result{{Requirement: "LIFE-1", Profile: "redis", Suite: "http", Status: results.Pass,
			Evidence: []results.Evidence{{Name: "journal.txt", Path: "e/journal.txt"}}}}}
	out, _ := render(t, run, Options{Dir: dir, MaxText: 4096})
	for _, want := range []string{"entry 00000", "entry 09999", "omitted"} {
		if !strings.Contains(out, want) {
			t.Errorf("a long journal lacks %q", want)
		}
	}
	if strings.Contains(out, "entry 05000") {
		t.Error("the middle of a long journal was kept")
	}
}

func TestVerdicts(t *testing.T) {
	pass := &results.Run{Schema: results.Schema, Target: results.Target{Name: "ok"}, Profiles: []string{"filesystem"},
		Results: []results.Result{
			{Requirement: "PERSIST-1", Profile: "filesystem", Suite: "http", Status: results.Pass},
			{Requirement: "LIFE-1", Profile: "filesystem", Suite: "http", Status: results.XFail, Reason: "known"},
		}}
	out, doc := render(t, pass, Options{Dir: t.TempDir()})
	if !strings.Contains(out, `class="verdict PASS"`) || byID(doc, "problems") != nil || byID(doc, "filtered") != nil {
		t.Error("a passing run is not shown as PASS without problems")
	}
	empty := &results.Run{Schema: results.Schema, Target: results.Target{Name: "none"}, Profiles: []string{"cookie"},
		Results: []results.Result{{Requirement: "LIFE-7", Profile: "cookie", Suite: "http", Status: results.Unsupported}}}
	out, _ = render(t, empty, Options{Dir: t.TempDir()})
	if !strings.Contains(out, `class="verdict FAIL"`) || !strings.Contains(out, "no requirement was executed") {
		t.Error("a run that executed nothing is not a FAIL")
	}
}

func TestWriteIsAtomicAndInDir(t *testing.T) {
	run, dir := fixture(t)
	p, err := Write(dir, run, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(dir, FileName) {
		t.Errorf("wrote %s", p)
	}
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Error("the temporary file was left behind")
	}
	data, _ := os.ReadFile(p)
	if !bytes.HasPrefix(data, []byte("<!doctype html>")) {
		t.Errorf("report starts %q", data[:min(40, len(data))])
	}
}

func TestFailuresComeFirst(t *testing.T) {
	run, dir := fixture(t)
	run.Results[2].Reproduce = "sessionconf run -target apps/evil.yaml -profiles filesystem -suites http -label-filter 'LIFE-1' -keep"
	run.Results[1].Status, run.Results[1].Messages = results.Pass, nil // PERSIST-1 passes everywhere now
	run.Results = append(run.Results, results.Result{Requirement: "LIFE-3", Level: "MUST", Title: "Idle timeout", Profile: "redis", Suite: "http",
		Status: results.Unsupported, NotChecked: true, Reason: "the manifest declares no idle timeout"})
	out, doc := render(t, run, Options{Dir: dir})

	// The problems lead the page, each with its first message and the
	// command that reproduces it.
	if p, s := strings.Index(out, `id="problems"`), strings.Index(out, `id="summary"`); p < 0 || p > s {
		t.Error("the Problems section does not come before the summary")
	}
	items := elements(elements(byID(doc, "problems"), "ol")[0], "li")
	if len(items) != 2 {
		t.Fatalf("want the fail and the error in Problems, got %d entries", len(items))
	}
	first := text(items[0])
	if !strings.Contains(first, "LIFE-1") || !strings.Contains(first, "dashboard gave <script>") || strings.Contains(first, "second") {
		t.Errorf("the problem does not show its first message (only): %q", first)
	}
	if !strings.Contains(first, "Reproduce: "+run.Results[2].Reproduce) {
		t.Errorf("the problem does not show its reproduce command: %q", first)
	}
	if !strings.Contains(text(byID(doc, "res-LIFE-1-filesystem-http")), "Reproduce: "+run.Results[2].Reproduce) {
		t.Error("the failing result's details lack the reproduce command")
	}
	// The details start with the requirements that have a problem.
	if l, p := strings.Index(out, `id="req-LIFE-1"`), strings.Index(out, `id="req-PERSIST-1"`); l < 0 || p < 0 || l > p {
		t.Error("LIFE-1 (failing) is not detailed before PERSIST-1 (passing)")
	}
	// A MUST not checked is said, not folded away with the unsupported.
	nc := byID(doc, "not-checked")
	if nc == nil || !strings.Contains(text(nc), "LIFE-3@redis: the manifest declares no idle timeout") {
		t.Errorf("the not-checked MUST is not listed: %v", nc)
	}
}

func TestProblemsListASharedCauseOnce(t *testing.T) {
	run, dir := fixture(t)
	cause := "the run could not start: app.yaml:8: process.command: \"gunicorn\" is not on PATH"
	for _, id := range []string{"COOKIE-1", "COOKIE-2", "COOKIE-3"} {
		run.Results = append(run.Results, results.Result{Requirement: id, Level: "MUST", Profile: "cookie", Suite: "browser",
			Status: results.Error, Messages: []string{cause}, Reproduce: "sessionconf run -label-filter '" + id + "'"})
	}
	_, doc := render(t, run, Options{Dir: dir})
	items := elements(elements(byID(doc, "problems"), "ol")[0], "li")
	var group string
	for _, li := range items {
		if strings.Contains(text(li), "one cause") {
			group = text(li)
		}
	}
	if !strings.Contains(group, "3 requirements, one cause") || !strings.Contains(group, "COOKIE-1, COOKIE-2, COOKIE-3") {
		t.Fatalf("no entry for the shared cause naming its requirements: %q", group)
	}
	if n := strings.Count(group, "gunicorn"); n != 1 {
		t.Errorf("the shared cause shows %d times in its entry", n)
	}
	heading := text(byID(doc, "h-problems"))
	if want := fmt.Sprintf("Problems (%d)", len(items)+2); heading != want {
		t.Errorf("heading %q, want %q: it counts results, not entries", heading, want)
	}
}
