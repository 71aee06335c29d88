// Package harness_test holds the repository's import rules, checked on
// every file like Kubernetes' .import-restrictions: the reference stands
// alone, Ginkgo stays in the suites' layer, and the command is a leaf.
package harness_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/sessionconf/sessionconf/"

// rule forbids files matching a directory prefix to import a package.
type rule struct {
	why     string
	applies func(file string) bool // the file's repository-relative path
	forbids func(imp string) bool
}

var rules = []rule{
	{
		why:     "the reference is a login server anyone can read on its own: it imports nothing from the harness",
		applies: under("reference/"),
		forbids: prefix(module + "harness/"),
	},
	{
		why:     "mutants are the reference with one fault: they import the reference, never the harness that judges them",
		applies: under("fixtures/"),
		forbids: prefix(module + "harness/"),
	},
	{
		why: "only harness/conform and the suites import Ginkgo and Gomega: the rest of the harness is plain Go, usable from the CLI and doctor",
		applies: func(f string) bool {
			return !strings.HasPrefix(f, "harness/conform/") && !strings.HasPrefix(f, "suites/")
		},
		forbids: func(imp string) bool {
			return strings.HasPrefix(imp, "github.com/onsi/ginkgo") || strings.HasPrefix(imp, "github.com/onsi/gomega")
		},
	},
	{
		why: "harness/cli is the command's flags and dispatch: only the command's main imports it",
		applies: func(f string) bool {
			return !strings.HasPrefix(f, "harness/cmd/sessionconf/") && !strings.HasPrefix(f, "harness/cli/")
		},
		forbids: func(imp string) bool { return imp == module+"harness/cli" },
	},
}

func under(dir string) func(string) bool {
	return func(f string) bool { return strings.HasPrefix(f, dir) }
}

func prefix(p string) func(string) bool {
	return func(imp string) bool { return strings.HasPrefix(imp, p) }
}

func TestImportRules(t *testing.T) {
	root := filepath.Join("..")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "bin" || name == "reports" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			for _, r := range rules {
				if r.applies(rel) && r.forbids(imp) {
					t.Errorf("%s imports %s: %s", rel, imp, r.why)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d Go files: is the repository root %s?", checked, root)
	}
}

// The rules catch what they are about: a file that breaks each one is
// reported.
func TestImportRulesCanFail(t *testing.T) {
	for _, tc := range []struct{ file, imp string }{
		{"reference/store/x.go", module + "harness/redisprov"},
		{"fixtures/mutants/x/main.go", module + "harness/conform"},
		{"harness/story/x.go", "github.com/onsi/ginkgo/v2"},
		{"harness/doctor/x.go", module + "harness/cli"},
	} {
		broken := false
		for _, r := range rules {
			broken = broken || (r.applies(tc.file) && r.forbids(tc.imp))
		}
		if !broken {
			t.Errorf("%s importing %s breaks no rule", tc.file, tc.imp)
		}
	}
	if _, err := os.Stat(filepath.Join("..", "go.mod")); err != nil {
		t.Fatal("the test must run from harness/, one level below go.mod")
	}
}

// The docs name every package: the README's layout and the package table
// of docs/writing-specs.md.
func TestDocsNameEveryPackage(t *testing.T) {
	root := filepath.Join("..")
	var pkgs []string
	for _, top := range []string{"harness", "reference"} {
		filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if n := d.Name(); n == "testdata" || n == "assets" || n == "templates" {
				return filepath.SkipDir
			}
			if files, _ := filepath.Glob(filepath.Join(path, "*.go")); len(files) > 0 {
				rel, _ := filepath.Rel(root, path)
				pkgs = append(pkgs, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	guide, err := os.ReadFile(filepath.Join(root, "docs", "writing-specs.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if p == "harness" {
			continue // this test
		}
		name := p[strings.LastIndex(p, "/")+1:]
		inTop := p[strings.Index(p, "/")+1:] // cmd/refserver
		if !strings.Contains(string(readme), p) && !strings.Contains(string(readme), "`"+name+"`") && !strings.Contains(string(readme), "`"+inTop+"`") {
			t.Errorf("README.md's layout does not name %s", p)
		}
		if strings.HasPrefix(p, "harness/") && !strings.Contains(string(guide), "`"+p+"`") {
			t.Errorf("docs/writing-specs.md's package table does not name %s", p)
		}
	}
	if len(pkgs) < 30 {
		t.Errorf("found only %d packages: %v", len(pkgs), pkgs)
	}
}

// docs/targets.md lists every SESSIONCONF_ variable the code reads.
func TestEveryEnvVarIsDocumented(t *testing.T) {
	root := filepath.Join("..")
	docs, err := os.ReadFile(filepath.Join(root, "docs", "targets.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, _ := os.ReadFile(path)
		for _, v := range envVar.FindAllString(string(data), -1) {
			seen[v] = path
		}
		return nil
	})
	if len(seen) < 10 {
		t.Fatalf("found only %d variables: %v", len(seen), seen)
	}
	for v, where := range seen {
		doc := v
		if strings.HasSuffix(v, "_") {
			if v == "SESSIONCONF_TIMEOUT_" {
				doc = "SESSIONCONF_TIMEOUT_<NAME>"
			} else {
				continue // a prefix the code builds names from, listed one by one
			}
		}
		if !strings.Contains(string(docs), "`"+doc+"`") && !strings.Contains(string(docs), "`"+doc+"=") {
			t.Errorf("%s (read in %s) is not in docs/targets.md's list of environment variables", doc, where)
		}
	}
}

var envVar = regexp.MustCompile(`SESSIONCONF_[A-Z_]+`)
