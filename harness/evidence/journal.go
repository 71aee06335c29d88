// Package evidence records what happened during a spec: every HTTP exchange
// with its cookies, every start, stop, kill and store operation, with times
// relative to the spec's start. A failure prints the journal, so it can be
// understood without re-running anything.
package evidence

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Journal is safe for concurrent use (specs fan out requests).
type Journal struct {
	mu      sync.Mutex
	start   time.Time
	entries []string
	files   []File
}

// File is an evidence file saved beside the journal.
type File struct {
	Name string // e.g. "store-before.txt", "target-a-1.log"
	Path string // absolute path once saved
}

// NewJournal starts an empty journal at now.
func NewJournal() *Journal { return &Journal{start: time.Now()} }

// Since is the offset from the journal's start, as the journal prints it.
func (j *Journal) Since() string {
	return fmt.Sprintf("t+%6.3fs", time.Since(j.start).Seconds())
}

// Event records a timeline event ("restart a", "clear store").
func (j *Journal) Event(format string, args ...any) {
	j.add(fmt.Sprintf("%s  == %s", j.Since(), fmt.Sprintf(format, args...)))
}

// Exchange records an HTTP exchange that was already formatted by the
// caller (the visitor package does that).
func (j *Journal) Exchange(text string) {
	j.add(j.Since() + "  " + text)
}

// Note records a free-form observation (a store listing, a decoded cookie).
func (j *Journal) Note(title, body string) {
	j.add(fmt.Sprintf("%s  -- %s\n%s", j.Since(), title, indent(body, "        ")))
}

func (j *Journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, s)
}

// String renders the whole journal.
func (j *Journal) String() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return strings.Join(j.entries, "\n")
}

// Tail renders the last n entries (failure messages stay readable; the
// full journal is in the evidence directory).
func (j *Journal) Tail(n int) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	e := j.entries
	skipped := 0
	if len(e) > n {
		skipped = len(e) - n
		e = e[skipped:]
	}
	s := strings.Join(e, "\n")
	if skipped > 0 {
		s = fmt.Sprintf("(%d earlier entries in journal.txt)\n%s", skipped, s)
	}
	return s
}

// Attach registers an evidence file that already exists at path.
func (j *Journal) Attach(name, path string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.files = append(j.files, File{Name: name, Path: path})
}

// Files returns the attached files.
func (j *Journal) Files() []File {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]File(nil), j.files...)
}

// Save writes journal.txt into dir and copies attached files that live
// elsewhere into it; it returns the paths of everything saved.
func (j *Journal) Save(dir string) ([]File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	journal := filepath.Join(dir, "journal.txt")
	if err := os.WriteFile(journal, []byte(j.String()+"\n"), 0o644); err != nil {
		return nil, err
	}
	saved := []File{{Name: "journal.txt", Path: journal}}
	for _, f := range j.Files() {
		dst := filepath.Join(dir, filepath.Base(f.Name))
		if f.Path != dst {
			data, err := os.ReadFile(f.Path)
			if err != nil {
				continue // a log of a start that never happened
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				return saved, err
			}
		}
		saved = append(saved, File{Name: f.Name, Path: dst})
	}
	return saved, nil
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}
