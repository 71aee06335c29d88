package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// ModulePath is sessionconf's module path.
const ModulePath = "github.com/sessionconf/sessionconf"

// LayoutKind says where a sessionconf finds its suites.
type LayoutKind string

const (
	// Release is an extracted `make dist` directory: the suites, compiled,
	// and the Ginkgo CLI in libexec/sessionconf beside bin/sessionconf. It
	// needs neither Go nor a checkout.
	Release LayoutKind = "release"
	// Checkout is a source checkout: the suites are compiled from it with
	// `go test -c` (the build cache makes a warm build a second or two).
	Checkout LayoutKind = "checkout"
	// ModuleCache is a binary from `go install module@version`: the suites are
	// compiled from that version's source in the Go module cache.
	ModuleCache LayoutKind = "module"
)

// ReleaseLibExec is where a release keeps its suites and the Ginkgo CLI,
// relative to the directory of bin/sessionconf.
const ReleaseLibExec = "../libexec/sessionconf"

// GinkgoBinary is the Ginkgo CLI's file name in a release's libexec.
const GinkgoBinary = "ginkgo"

// RedisImageScript is the Redis image's build script in a release's
// libexec (fixtures/redis-image/build.sh of the checkout).
const RedisImageScript = "redis-image/build.sh"

// Layout is where this sessionconf's suites come from and how they are
// run. It is decided once, by FindLayout; everything that runs suites asks
// it rather than looking for files itself.
type Layout struct {
	Kind LayoutKind
	// Root is the source tree the suites are compiled from: the checkout,
	// or the module cache's copy of this version ("" in a release).
	Root string
	// LibExec is the release's directory of compiled suites and the
	// Ginkgo CLI ("" for a source layout).
	LibExec string
	// Version is the module version a ModuleCache layout was installed at.
	Version string
}

func (l *Layout) String() string {
	switch l.Kind {
	case Release:
		return "release " + filepath.Dir(filepath.Dir(l.LibExec))
	case ModuleCache:
		return fmt.Sprintf("module %s@%s (%s)", ModulePath, l.Version, l.Root)
	}
	return "checkout " + l.Root
}

// FindLayout decides where the suites come from, in this order: a release
// directory around the executable (so a release binary never mixes with a
// checkout it happens to be run in), a checkout above the working directory
// or the executable, the module cache of a `go install`ed version.
func FindLayout() (*Layout, error) {
	exe, _ := os.Executable()
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p // a symlink on PATH into a release directory
	}
	wd, _ := os.Getwd()
	info, _ := debug.ReadBuildInfo()
	return findLayout(exe, wd, info, downloadModule)
}

// findLayout is FindLayout with its inputs given: the executable, the
// working directory, the build info and how to find a module version's
// source.
func findLayout(exe, wd string, info *debug.BuildInfo, download func(version string) (string, error)) (*Layout, error) {
	var tried []string
	if exe != "" {
		libexec := filepath.Join(filepath.Dir(exe), ReleaseLibExec)
		if isExecutable(filepath.Join(libexec, GinkgoBinary)) {
			return &Layout{Kind: Release, LibExec: filepath.Clean(libexec)}, nil
		}
		tried = append(tried, "no release directory around "+exe+" (no "+filepath.Join(filepath.Clean(libexec), GinkgoBinary)+")")
	}
	var starts []string
	for _, s := range []string{wd, filepath.Dir(exe)} {
		if s != "" && s != "." && !slices.Contains(starts, s) {
			starts = append(starts, s)
		}
	}
	if root, ok := checkoutAbove(starts...); ok {
		return &Layout{Kind: Checkout, Root: root}, nil
	}
	tried = append(tried, "no checkout of "+ModulePath+" above "+strings.Join(starts, " or "))
	if info != nil && info.Main.Path == ModulePath && info.Main.Version != "" && info.Main.Version != "(devel)" {
		dir, err := download(info.Main.Version)
		if err == nil {
			return &Layout{Kind: ModuleCache, Root: dir, Version: info.Main.Version}, nil
		}
		tried = append(tried, fmt.Sprintf("the source of %s@%s, which this binary was installed from, is not available (%v)", ModulePath, info.Main.Version, err))
	}
	return nil, fmt.Errorf("sessionconf needs its source checkout or a release directory: %s. Use a release (make dist; bin/sessionconf beside libexec/sessionconf), or run it inside the repository", strings.Join(tried, "; "))
}

// CheckoutLayout is the layout of the checkout at root.
func CheckoutLayout(root string) *Layout { return &Layout{Kind: Checkout, Root: root} }

// RepoRoot finds the sessionconf checkout: from the working directory up,
// else from the executable's directory up. Commands that work on the
// source itself (spec, selftest) need it; running suites needs a Layout.
func RepoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	if root, ok := checkoutAbove(starts...); ok {
		return root, nil
	}
	return "", errors.New("this command needs sessionconf's source checkout (it works on the source); run it inside the repository")
}

func checkoutAbove(starts ...string) (string, bool) {
	for _, dir := range starts {
		for {
			data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && strings.Contains(string(data), "module "+ModulePath+"\n") {
				return dir, true
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", false
}

// downloadModule returns the directory of the module's version in the Go
// module cache (`go install` put it there; go mod download fetches it
// again if the cache was cleaned).
func downloadModule(version string) (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", errors.New("no go command on PATH to compile the suites with")
	}
	cmd := exec.Command("go", "mod", "download", "-json", ModulePath+"@"+version)
	// Outside any module and workspace: the user's own go.mod or go.work
	// must not decide which version is meant.
	cmd.Dir, cmd.Env = os.TempDir(), append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	var d struct{ Dir, Error string }
	json.Unmarshal(out, &d)
	switch {
	case d.Error != "":
		return "", errors.New(d.Error)
	case err != nil:
		return "", fmt.Errorf("go mod download: %v", err)
	case d.Dir == "":
		return "", errors.New("go mod download named no directory")
	}
	return d.Dir, nil
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0
}

// binary is suite s's compiled file name.
func (s Suite) binary() string { return filepath.Base(s.Pkg) + ".test" }

// has reports whether the layout has suite s.
func (l *Layout) has(s Suite) bool {
	if l.Kind == Release {
		return isExecutable(filepath.Join(l.LibExec, s.binary()))
	}
	_, err := os.Stat(filepath.Join(l.Root, s.Pkg))
	return err == nil
}

// ChooseSuites returns the suites named in want (all when empty) that the
// layout has.
func (l *Layout) ChooseSuites(want []string) ([]Suite, error) {
	var out []Suite
	for _, s := range Suites {
		if l.has(s) && (len(want) == 0 || slices.Contains(want, s.Name)) {
			out = append(out, s)
		}
	}
	for _, w := range want {
		if !slices.ContainsFunc(out, func(s Suite) bool { return s.Name == w }) {
			return nil, fmt.Errorf("unknown suite %q (have %v)", w, Names(out))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no suite to run")
	}
	return out, nil
}

// ExportEnv puts what the layout's suites need to know into this process's
// environment, which every suite run inherits: a release's Redis image
// recipe (the checkout's is found from its source tree). A value the user
// set wins.
func (l *Layout) ExportEnv() {
	if l.Kind != Release {
		return
	}
	if os.Getenv("SESSIONCONF_REDIS_IMAGE_SCRIPT") == "" {
		os.Setenv("SESSIONCONF_REDIS_IMAGE_SCRIPT", filepath.Join(l.LibExec, RedisImageScript))
	}
}

// Binaries are the compiled suites of a run and the Ginkgo CLI that runs
// them.
type Binaries struct {
	dir    string // the run's own build directory, removed by Close ("" for a release)
	suites map[string]string
	ginkgo []string // the Ginkgo CLI's argv prefix
	wd     string   // where it runs ("" for the current directory)
}

// Binaries returns the suites ss compiled: a release's own, or built from
// the source for this run.
func (l *Layout) Binaries(ctx context.Context, ss []Suite, stderr io.Writer) (*Binaries, error) {
	if l.Kind == Release {
		b := &Binaries{suites: map[string]string{}, ginkgo: []string{filepath.Join(l.LibExec, GinkgoBinary)}}
		for _, s := range ss {
			b.suites[s.Name] = filepath.Join(l.LibExec, s.binary())
		}
		return b, nil
	}
	return l.build(ctx, ss, stderr)
}

// build compiles each suite once for this run (go test -c uses the build
// cache, so a warm build costs a second or two) into a directory of its
// own, so that concurrent runs never overwrite each other's binaries: under
// the checkout's bin/, or, for the read-only module cache, under the
// user's cache directory. Close removes it. The Ginkgo CLI is the module's
// own tool (go tool ginkgo), at the version go.mod pins.
func (l *Layout) build(ctx context.Context, ss []Suite, stderr io.Writer) (*Binaries, error) {
	parent := filepath.Join(l.Root, "bin")
	var env []string
	if l.Kind == ModuleCache {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		parent = filepath.Join(cache, "sessionconf", l.Version)
		env = append(os.Environ(), "GOWORK=off")
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	removeStaleSuiteDirs(parent)
	dir, err := os.MkdirTemp(parent, fmt.Sprintf("suites-%d-", os.Getpid()))
	if err != nil {
		return nil, err
	}
	b := &Binaries{dir: dir, suites: map[string]string{}, ginkgo: []string{"go", "tool", "ginkgo"}, wd: l.Root}
	// One go command for every suite: it builds them in parallel and
	// writes <package>.test into dir.
	args := []string{"test", "-c", "-o", dir + string(filepath.Separator)}
	for _, s := range ss {
		args = append(args, "./"+s.Pkg)
		b.suites[s.Name] = filepath.Join(dir, s.binary())
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = l.Root, env, stderr, stderr
	if err := cmd.Run(); err != nil {
		b.Close()
		return nil, fmt.Errorf("building the suites (%s) in %s: %v", strings.Join(Names(ss), ", "), l.Root, err)
	}
	return b, nil
}

// Of returns the binary of suite s.
func (b *Binaries) Of(s Suite) string { return b.suites[s.Name] }

// Close removes the binaries a build made (a release's stay).
func (b *Binaries) Close() error {
	if b == nil || b.dir == "" {
		return nil
	}
	return os.RemoveAll(b.dir)
}

// removeStaleSuiteDirs removes the suite directories of runs whose process
// is gone (killed before it could clean up).
func removeStaleSuiteDirs(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, "suites-*"))
	for _, d := range dirs {
		pid, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(filepath.Base(d), "suites-"), "-", 2)[0])
		if pid <= 0 || syscall.Kill(pid, 0) == nil {
			continue
		}
		os.RemoveAll(d)
	}
}
