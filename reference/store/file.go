package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Modes of the session directory and its files: readable by the server's
// user only, because a session file is as good as a password.
const (
	DirMode  os.FileMode = 0o700
	FileMode os.FileMode = 0o600
)

// tempPrefix marks files still being written; Sweep removes stale ones that a
// crash left behind.
const tempPrefix = ".tmp-"

// staleTemp is how old a temporary file must be before Sweep calls it debris.
const staleTemp = time.Minute

// envelope is what a session file holds: the deadline the janitor needs and
// the value, both as JSON so that anyone can read the store with cat.
type envelope struct {
	Deadline time.Time       `json:"deadline"`
	Value    json.RawMessage `json:"value"`
}

// File is a Store that keeps one file per key in a directory. Writes are
// atomic (temporary file, fsync, rename, directory fsync) and finished before
// Put returns. Keys must be lowercase hex, which is what session keys are
// (hashes of the token); anything else is refused before it can become a path.
type File struct {
	dir    string
	synced dirSyncer
	// sweepRace, when set, runs between Sweep's first look at an expired
	// entry and its removal: the moment a concurrent refresh can land.
	sweepRace func(key string)
}

// OpenFile returns a store in dir, creating the directory (0700) if needed.
// created reports whether it had to, for the startup line the story's users
// know ("Created session directory: flask_session/").
func OpenFile(dir string) (s *File, created bool, err error) {
	if dir == "" {
		return nil, false, errors.New("store: empty session directory")
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, DirMode); err != nil {
			return nil, false, fmt.Errorf("store: create session directory: %w", err)
		}
		created = true
	case err != nil:
		return nil, false, fmt.Errorf("store: session directory: %w", err)
	case !info.IsDir():
		return nil, false, fmt.Errorf("store: session directory %s is not a directory", dir)
	case info.Mode().Perm()&0o002 != 0:
		return nil, false, fmt.Errorf("store: session directory %s is world-writable (mode %v)", dir, info.Mode().Perm())
	}
	return &File{dir: dir}, created, nil
}

// Dir returns the directory the store writes to.
func (s *File) Dir() string { return s.dir }

// Path returns the file that holds key, or an error for a key that is not a
// store key (so it can never name a file outside the directory).
func (s *File) Path(key string) (string, error) {
	if !isHexKey(key) {
		return "", fmt.Errorf("store: invalid key %q", truncate(key, 80))
	}
	return filepath.Join(s.dir, key), nil
}

func (s *File) Get(_ context.Context, key string) ([]byte, error) {
	path, err := s.Path(key)
	if err != nil {
		return nil, ErrNotFound
	}
	bufp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bufp)
	data, err := readFile(path, (*bufp)[:0])
	if cap(data) <= maxPooledRead {
		*bufp = data[:0]
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", ErrUnavailable, key, err)
	}
	env, err := decodeEnvelope(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, key, err)
	}
	return bytes.Clone(env.Value), nil // data goes back to the pool
}

// Read buffers are pooled: a session file is a few hundred bytes and every
// authenticated request reads one.
const maxPooledRead = 64 << 10

var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// readFile appends the contents of path to buf with plain system calls
// (open, read to EOF, close). os.ReadFile also stats the file and offers
// the descriptor to the network poller, which refuses regular files: two
// system calls out of six that a session read does not need.
func readFile(path string, buf []byte) ([]byte, error) {
	fd, err := retryEINTR(func() (int, error) { return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0) })
	if err != nil {
		return buf, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := retryEINTR(func() (int, error) { return unix.Read(fd, buf[len(buf):cap(buf)]) })
		if err != nil {
			return buf, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

func retryEINTR(fn func() (int, error)) (int, error) {
	for {
		n, err := fn()
		if err != unix.EINTR {
			return n, err
		}
	}
}

func (s *File) Put(_ context.Context, key string, value []byte, deadline time.Time) error {
	path, err := s.Path(key)
	if err != nil {
		return err
	}
	return s.write(path, value, deadline)
}

func (s *File) Replace(_ context.Context, key string, value []byte, deadline time.Time) error {
	path, err := s.Path(key)
	if err != nil {
		return ErrNotFound
	}
	return s.locked(func() error {
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return ErrNotFound
			}
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		return s.write(path, value, deadline)
	})
}

func (s *File) Delete(_ context.Context, key string) error {
	path, err := s.Path(key)
	if err != nil {
		return nil // nothing by that name can exist
	}
	return s.locked(func() error {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: delete: %v", ErrUnavailable, err)
		}
		return nil
	})
}

// Ping checks that the directory exists and is a directory; it does not
// write, so readiness probes cost nothing.
func (s *File) Ping(context.Context) error {
	info, err := os.Stat(s.dir)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrUnavailable, s.dir)
	}
	return nil
}

func (s *File) Close() error { return nil }

// Sweep removes expired entries, corrupt entries and stale temporary files.
// Files whose names are not store keys are left alone: the directory may be
// shared with things that are not ours.
func (s *File) Sweep(_ context.Context, now time.Time) (int, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	removed := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(s.dir, e.Name())
		if !s.expired(path, e, now) {
			continue
		}
		if !isHexKey(e.Name()) { // stale temporary file: nobody writes it any more
			if os.Remove(path) == nil {
				removed++
			}
			continue
		}
		if s.sweepRace != nil {
			s.sweepRace(e.Name())
		}
		// An entry is removed under the lock Replace holds, after a second
		// look: a request may have refreshed it since the first (an idle
		// timeout renewed just before it ran out), and that write must not
		// be deleted.
		s.locked(func() error {
			if s.expired(path, e, now) && os.Remove(path) == nil {
				removed++
			}
			return nil
		})
	}
	return removed, nil
}

func (s *File) expired(path string, e fs.DirEntry, now time.Time) bool {
	name := e.Name()
	if strings.HasPrefix(name, tempPrefix) {
		info, err := e.Info()
		return err == nil && now.Sub(info.ModTime()) > staleTemp
	}
	if !isHexKey(name) {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	env, err := decodeEnvelope(data)
	return err != nil || !now.Before(env.Deadline)
}

// write stores value atomically and durably: a reader sees the old file or
// the new one, never a torn one, and after a crash the new one is there.
func (s *File) write(path string, value []byte, deadline time.Time) error {
	if !json.Valid(value) {
		return errors.New("store: value is not JSON")
	}
	data, err := json.Marshal(envelope{Deadline: deadline.UTC(), Value: value})
	if err != nil {
		return err
	}
	tmp, err := s.createTemp()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := writeSyncClose(tmp, data); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%w: write: %v", ErrUnavailable, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%w: rename: %v", ErrUnavailable, err)
	}
	if err := s.synced.sync(s.dir); err != nil {
		return fmt.Errorf("%w: sync directory: %v", ErrUnavailable, err)
	}
	return nil
}

// createTemp makes the temporary file, recreating the directory once if
// someone deleted it (the story's `rm -rf flask_session`), so the server
// recovers without a restart.
func (s *File) createTemp() (*os.File, error) {
	f, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if errors.Is(err, fs.ErrNotExist) {
		if mkErr := os.MkdirAll(s.dir, DirMode); mkErr != nil {
			return nil, mkErr
		}
		f, err = os.CreateTemp(s.dir, tempPrefix+"*")
	}
	return f, err // CreateTemp makes files 0600
}

// locked runs fn holding an exclusive flock on the directory, so that
// Replace and Delete exclude each other across goroutines and across
// server processes sharing the directory.
func (s *File) locked(fn func() error) error {
	d, err := os.Open(s.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fn() // nothing to race with: no entry can exist
		}
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer d.Close()
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("%w: lock: %v", ErrUnavailable, err)
	}
	defer unix.Flock(int(d.Fd()), unix.LOCK_UN)
	return fn()
}

func writeSyncClose(f *os.File, data []byte) error {
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// dirSyncer makes renames durable with as few directory fsyncs as
// possible (group commit): a writer needs a directory fsync that started
// after its rename, so writers that arrive while one runs wait for it to
// end and then share the next one. Alone, a writer does one fsync as
// before; 32 concurrent logins do far fewer than 32.
type dirSyncer struct {
	mu       sync.Mutex
	cond     *sync.Cond
	started  uint64 // fsyncs started
	finished uint64 // fsyncs finished (they finish in order)
	running  bool
	waiting  int                    // writers waiting for a later fsync
	err      error                  // result of the last finished fsync
	fsync    func(dir string) error // nil: syncDir (tests count and hold calls)
}

// sync returns once a directory fsync that started after sync was called
// has finished, with its error.
func (d *dirSyncer) sync(dir string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cond == nil {
		d.cond = sync.NewCond(&d.mu)
	}
	need := d.started + 1
	for d.finished < need {
		if d.running {
			d.waiting++
			d.cond.Wait()
			d.waiting--
			continue
		}
		d.started++
		d.running = true
		d.mu.Unlock()
		fsync := d.fsync
		if fsync == nil {
			fsync = syncDir
		}
		err := fsync(dir)
		d.mu.Lock()
		d.finished, d.err, d.running = d.started, err, false
		d.cond.Broadcast()
	}
	return d.err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

var errIncomplete = errors.New("incomplete entry")

// The layout json.Marshal gives an envelope, which decodeEnvelope reads
// without reflection.
var (
	envelopeHead = []byte(`{"deadline":"`)
	envelopeMid  = []byte(`","value":`)
)

func decodeEnvelope(data []byte) (envelope, error) {
	// Fast path for the files this store writes; anything else (edited by
	// hand, another writer's spacing, garbage) takes the full decoder.
	if rest, ok := bytes.CutPrefix(data, envelopeHead); ok {
		if i := bytes.IndexByte(rest, '"'); i > 0 {
			if v, ok := bytes.CutPrefix(rest[i:], envelopeMid); ok && len(v) > 1 && v[len(v)-1] == '}' {
				var deadline time.Time
				quoted := data[len(envelopeHead)-1 : len(envelopeHead)+i+1]
				value := v[:len(v)-1]
				if deadline.UnmarshalJSON(quoted) == nil && !deadline.IsZero() && json.Valid(value) {
					return envelope{Deadline: deadline, Value: value}, nil
				}
			}
		}
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return env, err
	}
	if env.Deadline.IsZero() || len(env.Value) == 0 {
		return env, errIncomplete
	}
	return env, nil
}

func isHexKey(key string) bool {
	if len(key) == 0 || len(key) > 128 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
