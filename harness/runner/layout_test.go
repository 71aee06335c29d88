package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

func TestChooseSuitesOfTheCheckout(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	l := CheckoutLayout(root)
	all, err := l.ChooseSuites(nil)
	if err != nil || !slices.Equal(Names(all), []string{"http", "browser"}) {
		t.Errorf("all suites: %v, %v", Names(all), err)
	}
	if _, err := l.ChooseSuites([]string{"mobile"}); err == nil || !strings.Contains(err.Error(), `unknown suite "mobile"`) {
		t.Errorf("an unknown suite must be refused, got %v", err)
	}
}

// fakeRelease makes a release directory whose libexec has the files
// named, each an executable; it returns the path of bin/sessionconf.
func fakeRelease(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range append([]string{"bin/sessionconf"}, files...) {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "bin", "sessionconf")
}

func noDownload(string) (string, error) { return "", errors.New("not called") }

func TestFindLayoutPrefersTheRelease(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	exe := fakeRelease(t, "libexec/sessionconf/ginkgo", "libexec/sessionconf/conformance.test")
	// Run from inside a checkout: the release's own suites still win, so
	// a release binary never runs suites of another version.
	l, err := findLayout(exe, root, nil, noDownload)
	if err != nil {
		t.Fatal(err)
	}
	libexec := filepath.Join(filepath.Dir(filepath.Dir(exe)), "libexec", "sessionconf")
	if l.Kind != Release || l.LibExec != libexec {
		t.Fatalf("got %+v, want the release at %s", l, libexec)
	}
	ss, err := l.ChooseSuites(nil)
	if err != nil || !slices.Equal(Names(ss), []string{"http"}) {
		t.Errorf("a release with only conformance.test has the suites %v (%v), want [http]", Names(ss), err)
	}
	if _, err := l.ChooseSuites([]string{"browser"}); err == nil {
		t.Error("a release without browser.test must refuse -suites browser")
	}
	b, err := l.Binaries(context.Background(), ss, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Of(ss[0]); got != filepath.Join(libexec, "conformance.test") {
		t.Errorf("the http suite's binary is %s", got)
	}
	if !slices.Equal(b.ginkgo, []string{filepath.Join(libexec, "ginkgo")}) {
		t.Errorf("Ginkgo runs as %v, want the release's own binary (no go command)", b.ginkgo)
	}
	b.Close()
	if _, err := os.Stat(b.Of(ss[0])); err != nil {
		t.Errorf("Close removed the release's suite: %v", err)
	}
}

func TestFindLayoutFallsBackToTheCheckout(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	exe := fakeRelease(t) // no libexec: a copied binary
	l, err := findLayout(exe, filepath.Join(root, "harness", "runner"), nil, noDownload)
	if err != nil || l.Kind != Checkout || l.Root != root {
		t.Fatalf("got %+v, %v; want the checkout %s", l, err, root)
	}
}

func TestFindLayoutUsesTheModuleCacheOfAnInstalledVersion(t *testing.T) {
	exe := fakeRelease(t)
	src := t.TempDir()
	var asked string
	info := &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v0.2.0"}}
	l, err := findLayout(exe, t.TempDir(), info, func(v string) (string, error) { asked = v; return src, nil })
	if err != nil || l.Kind != ModuleCache || l.Root != src || l.Version != "v0.2.0" || asked != "v0.2.0" {
		t.Fatalf("got %+v, %v (asked for %q); want the module cache's v0.2.0 at %s", l, err, asked, src)
	}
	// A development build has no version to look up.
	info.Main.Version = "(devel)"
	if _, err := findLayout(exe, t.TempDir(), info, noDownload); err == nil {
		t.Error("a (devel) build outside a checkout found a layout")
	}
}

func TestFindLayoutSaysWhatIsMissing(t *testing.T) {
	exe := fakeRelease(t)
	wd := t.TempDir()
	info := &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v0.2.0"}}
	_, err := findLayout(exe, wd, info, func(string) (string, error) { return "", errors.New("no go command on PATH") })
	if err == nil {
		t.Fatal("no layout, but no error")
	}
	for _, want := range []string{
		"needs its source checkout or a release directory",
		filepath.Join(filepath.Dir(filepath.Dir(exe)), "libexec", "sessionconf", "ginkgo"),
		"no checkout of " + ModulePath + " above " + wd,
		"v0.2.0", "no go command on PATH",
		"make dist",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
}

func TestReleaseExportsItsRedisImageRecipe(t *testing.T) {
	t.Setenv("SESSIONCONF_REDIS_IMAGE_SCRIPT", "")
	l := &Layout{Kind: Release, LibExec: "/opt/sc/libexec/sessionconf"}
	l.ExportEnv()
	if got := os.Getenv("SESSIONCONF_REDIS_IMAGE_SCRIPT"); got != "/opt/sc/libexec/sessionconf/redis-image/build.sh" {
		t.Errorf("SESSIONCONF_REDIS_IMAGE_SCRIPT=%q", got)
	}
	t.Setenv("SESSIONCONF_REDIS_IMAGE_SCRIPT", "/mine.sh")
	l.ExportEnv()
	if got := os.Getenv("SESSIONCONF_REDIS_IMAGE_SCRIPT"); got != "/mine.sh" {
		t.Errorf("the user's SESSIONCONF_REDIS_IMAGE_SCRIPT was replaced by %q", got)
	}
}

// Run from the directory the binary is in: that directory is named once.
func TestFindLayoutNamesEachPlaceOnce(t *testing.T) {
	exe := fakeRelease(t)
	dir := filepath.Dir(exe)
	_, err := findLayout(exe, dir, nil, noDownload)
	if err == nil || strings.Contains(err.Error(), dir+" or "+dir) {
		t.Errorf("want an error naming %s once as a place to look, got %v", dir, err)
	}
}
