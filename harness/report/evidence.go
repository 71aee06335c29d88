package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/sessionconf/sessionconf/harness/results"
)

// Kinds of evidence as the report shows them.
const (
	kindText    = "text"    // a journal, a listing: shown whole (capped head+tail)
	kindLog     = "log"     // a target log: its tail
	kindImage   = "image"   // a screenshot: inline
	kindLinked  = "linked"  // too big, binary, or over budget: a link only
	kindMissing = "missing" // not there, or outside the report directory
)

type evidenceView struct {
	Name    string
	Href    string // relative to the report; "" when it must not be linked
	Size    int64
	Kind    string
	Text    string
	DataURI template.URL
	Note    string
}

// loader reads evidence files within the budget.
type loader struct {
	o         Options
	left      int64
	exhausted bool
}

// inlineImages are the content types embedded as data URIs. SVG is not one:
// it is a document that can carry script.
var inlineImages = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

func (l *loader) load(e results.Evidence) evidenceView {
	v := evidenceView{Name: e.Name}
	p, ok := l.resolve(e.Path)
	if !ok {
		v.Kind, v.Note = kindMissing, fmt.Sprintf("not read: %q is outside the report directory", e.Path)
		return v
	}
	v.Href = hrefOf(e.Path)
	f, err := os.Open(p)
	if err != nil {
		v.Kind, v.Note, v.Href = kindMissing, "missing: "+errText(err), ""
		return v
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		v.Kind, v.Note, v.Href = kindMissing, "not a regular file", ""
		return v
	}
	v.Size = info.Size()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	ctype := http.DetectContentType(head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		v.Kind, v.Note = kindLinked, errText(err)
		return v
	}

	switch {
	case inlineImages[ctype]:
		if v.Size > l.o.MaxImage {
			v.Kind, v.Note = kindLinked, fmt.Sprintf("%s image of %s, larger than the %s the report inlines", ctype, humanSize(v.Size), humanSize(l.o.MaxImage))
			return v
		}
		enc := int64(base64.StdEncoding.EncodedLen(int(v.Size)))
		if !l.take(enc) {
			v.Kind, v.Note = kindLinked, "not embedded: the report's evidence budget is spent"
			return v
		}
		data, err := io.ReadAll(io.LimitReader(f, l.o.MaxImage))
		if err != nil {
			v.Kind, v.Note = kindLinked, errText(err)
			return v
		}
		v.Kind = kindImage
		v.DataURI = template.URL("data:" + ctype + ";base64," + base64.StdEncoding.EncodeToString(data))
		return v
	case !looksText(head):
		v.Kind, v.Note = kindLinked, fmt.Sprintf("binary file (%s)", ctype)
		return v
	}

	isLog := strings.HasSuffix(strings.ToLower(e.Name), ".log")
	var text string
	var note string
	if isLog {
		text, note = tailOf(f, v.Size, l.o.LogLines, l.o.MaxText)
	} else {
		text, note = headTail(f, v.Size, l.o.MaxText)
	}
	if !l.take(int64(len(text))) {
		v.Kind, v.Note = kindLinked, "not embedded: the report's evidence budget is spent"
		return v
	}
	v.Kind, v.Text, v.Note = kindText, clean(text), note
	if isLog {
		v.Kind = kindLog
	}
	return v
}

func (l *loader) take(n int64) bool {
	if n > l.left {
		l.exhausted = true
		return false
	}
	l.left -= n
	return true
}

// resolve maps an evidence path to a file inside the report directory;
// anything that leaves it (absolute, .., a symlink out) is refused.
func (l *loader) resolve(rel string) (string, bool) {
	if rel == "" || filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") {
		return "", false
	}
	clean := filepath.Clean(filepath.FromSlash(rel))
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", false
	}
	base, err := filepath.Abs(l.o.Dir)
	if err != nil {
		return "", false
	}
	if real, err := filepath.EvalSymlinks(base); err == nil {
		base = real
	}
	p := filepath.Join(base, clean)
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return p, true // missing: reported as such
	}
	if real != base && !strings.HasPrefix(real, base+string(filepath.Separator)) {
		return "", false
	}
	return real, true
}

// hrefOf is a relative link to an evidence file, each segment escaped.
func hrefOf(rel string) string {
	segs := strings.Split(path.Clean(filepath.ToSlash(rel)), "/")
	for i, s := range segs {
		segs[i] = urlPathEscape(s)
	}
	return strings.Join(segs, "/")
}

func urlPathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~@+", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// looksText: valid UTF-8 (allowing a cut rune at the end) without NULs.
func looksText(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	for len(head) > 0 {
		r, size := utf8.DecodeRune(head)
		if r == utf8.RuneError && size <= 1 {
			return len(head) < utf8.UTFMax // a rune cut by the 512-byte window
		}
		head = head[size:]
	}
	return true
}

// headTail reads a text file whole, or its first and last half of max
// bytes with a marker between.
func headTail(f *os.File, size int64, max int) (string, string) {
	if size <= int64(max) {
		data, _ := io.ReadAll(io.LimitReader(f, int64(max)))
		return string(data), ""
	}
	half := max / 2
	head := make([]byte, half)
	n, _ := io.ReadFull(f, head)
	tail := make([]byte, half)
	m, _ := f.ReadAt(tail, size-int64(half))
	omitted := size - int64(n) - int64(m)
	return string(head[:n]) + fmt.Sprintf("\n\n[… %s omitted; the whole file is linked above …]\n\n", humanSize(omitted)) + string(tail[:m]),
		fmt.Sprintf("%s, shown as its first and last %s", humanSize(size), humanSize(int64(half)))
}

// tailOf returns the last n lines (at most max bytes) of a log.
func tailOf(f *os.File, size int64, n, max int) (string, string) {
	start := size - int64(max)
	if start < 0 {
		start = 0
	}
	buf := make([]byte, size-start)
	m, _ := f.ReadAt(buf, start)
	s := strings.TrimRight(string(buf[:m]), "\n")
	if start > 0 {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	lines := strings.Split(s, "\n")
	if s == "" {
		lines = nil
	}
	if len(lines) > n || start > 0 {
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		return strings.Join(lines, "\n"), fmt.Sprintf("last %d lines of %s", len(lines), humanSize(size))
	}
	return strings.Join(lines, "\n"), ""
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// clean makes text safe to show: valid UTF-8, no terminal escapes, no
// control characters but tab and newline (HTML forbids most of them).
func clean(s string) string {
	s = ansi.ReplaceAllString(s, "")
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return -1
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return '\uFFFD'
		}
		return r
	}, s)
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
