package inspect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir is a directory store (Flask-Session's filesystem mode, the
// reference's file store).
type Dir struct {
	Path string
}

func (d Dir) Kind() string     { return "directory" }
func (d Dir) Location() string { return d.Path }

// List returns every regular file of the directory, temporary ones
// included: a leftover temporary file is evidence too.
func (d Dir) List(context.Context) ([]Record, error) {
	entries, err := os.ReadDir(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []Record
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		data, _ := os.ReadFile(filepath.Join(d.Path, e.Name()))
		recs = append(recs, Record{Key: e.Name(), Mode: info.Mode().Perm(), Data: data, Size: int(info.Size())})
	}
	return recs, nil
}

// DirMode returns the directory's permission bits.
func (d Dir) DirMode() (fs.FileMode, error) {
	info, err := os.Stat(d.Path)
	if err != nil {
		return 0, err
	}
	return info.Mode().Perm(), nil
}

// Clear removes everything inside the directory, like `rm -rf dir/*`.
func (d Dir) Clear(context.Context) error {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(d.Path, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func (d Dir) Corrupt(_ context.Context, key string, how Corruption) error {
	p := filepath.Join(d.Path, filepath.Base(key))
	info, err := os.Stat(p)
	if err != nil {
		return err
	}
	data, err := corruptBytes(p, how)
	if err != nil {
		return err
	}
	return os.WriteFile(p, data, info.Mode().Perm())
}

func corruptBytes(p string, how Corruption) ([]byte, error) {
	switch how {
	case Garbage:
		return GarbageRecord(), nil
	case Truncated:
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return data[:min(2, len(data))], nil
	case Empty:
		return nil, nil
	case Garbled:
		return append([]byte(nil), garbledRecord...), nil
	}
	return nil, fmt.Errorf("inspect: unknown corruption %q", how)
}
