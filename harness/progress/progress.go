// Package progress carries what the specs of a suite run are doing, as it
// happens, from the Ginkgo processes to the sessionconf command: a spec
// began, waits (for what, until when), ended (with which status). Each
// Ginkgo process appends JSON lines to one file per suite run; the command
// follows the files and prints a line per finished spec and a heartbeat
// naming the waits. A file, not Ginkgo's output stream, because that
// stream is Ginkgo's (and buffered per spec until the spec ends).
package progress

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Kind is what happened.
type Kind string

const (
	Began Kind = "began" // a spec started
	Waits Kind = "waits" // a spec waits on purpose (the requirement's timing)
	Ended Kind = "ended" // a spec ended, with its final status
)

// Event is one line of a progress file.
type Event struct {
	Kind    Kind      `json:"kind"`
	ID      string    `json:"id"`
	Status  string    `json:"status,omitempty"`  // Ended
	Seconds float64   `json:"seconds,omitempty"` // Ended: the spec's run time
	Why     string    `json:"why,omitempty"`     // Waits
	Until   time.Time `json:"until,omitzero"`    // Waits
	At      time.Time `json:"at"`
}

// Writer appends events to a progress file. Several processes may append
// to the same file: each event is one write of one line, which O_APPEND
// keeps whole. A nil Writer (no file asked for) writes nothing.
type Writer struct {
	mu sync.Mutex
	f  *os.File
}

// Create opens path for appending events; "" gives a nil Writer.
func Create(path string) (*Writer, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("progress file: %w", err)
	}
	return &Writer{f: f}, nil
}

// Write appends e, stamped with the time if it has none. Progress is a
// courtesy: a failed write is dropped, never a spec's problem.
func (w *Writer) Write(e Event) {
	if w == nil {
		return
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.f.Write(append(line, '\n'))
}

// Close closes the file.
func (w *Writer) Close() error {
	if w == nil {
		return nil
	}
	return w.f.Close()
}

// Reader reads the events appended to a progress file since its last
// call. A line still being written is left for the next call.
type Reader struct {
	path    string
	offset  int64
	partial []byte
}

// NewReader follows path, which may not exist yet.
func NewReader(path string) *Reader { return &Reader{path: path} }

// Next returns the complete events appended since the last call.
func (r *Reader) Next() ([]Event, error) {
	f, err := os.Open(r.path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(r.offset, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	r.offset += int64(len(data))
	data = append(r.partial, data...)
	end := bytes.LastIndexByte(data, '\n') + 1
	r.partial = append([]byte(nil), data[end:]...)
	var events []Event
	sc := bufio.NewScanner(bytes.NewReader(data[:end]))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // not ours; a progress file is never a verdict
		}
		events = append(events, e)
	}
	return events, sc.Err()
}
