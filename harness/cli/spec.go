package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/sessionconf/sessionconf/harness/runner"
	"github.com/sessionconf/sessionconf/harness/specdoc"
)

// specDoc is where the generated catalog lives, relative to the repository.
const specDoc = "suites/SPEC.md"

func init() {
	register("spec", "write suites/SPEC.md from the catalog and the suites (-check: fail if it drifted)", specCmd)
}

func specCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("spec", stderr)
	check := fs.Bool("check", false, "do not write; fail if the checked-in suites/SPEC.md differs from the code")
	if code, ok := noPositional(fs, args); !ok {
		return code
	}
	root, err := runner.RepoRoot()
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
		return exitUsage
	}
	tmp, err := os.MkdirTemp("", "sessionconf-spec-*")
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
		return exitFail
	}
	defer os.RemoveAll(tmp)
	var locs []specdoc.Locations
	for _, s := range runner.Suites {
		if _, err := os.Stat(filepath.Join(root, s.Pkg)); err != nil {
			continue
		}
		out := filepath.Join(tmp, s.Name+".json")
		// A dry run builds the spec tree without running anything.
		cmd := exec.Command("go", "test", "-count=1", "./"+s.Pkg, "-ginkgo.dry-run", "-sessionconf.spec-locations="+out)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(stderr, "sessionconf spec: dry run of %s failed: %v\n%s", s.Pkg, err, msg)
			return exitFail
		}
		l, err := specdoc.ReadLocations(out)
		if err != nil {
			fmt.Fprintf(stderr, "sessionconf spec: %s: %v\n", s.Pkg, err)
			return exitFail
		}
		locs = append(locs, l)
	}
	doc := specdoc.Render(filepath.Dir(specDoc), locs...)
	path := filepath.Join(root, specDoc)
	if missing := specdoc.Missing(locs...); len(missing) > 0 {
		fmt.Fprintf(stderr, "sessionconf spec: requirements without a spec: %v\n", missing)
		return exitFail
	}
	if *check {
		old, _ := os.ReadFile(path)
		if string(old) != doc {
			fmt.Fprintf(stderr, "sessionconf spec: %s is out of date with the catalog and the suites; run 'make spec' and commit it\n", specDoc)
			return exitFail
		}
		fmt.Fprintf(stdout, "%s is up to date\n", specDoc)
		return exitOK
	}
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "wrote %s\n", specDoc)
	return exitOK
}
