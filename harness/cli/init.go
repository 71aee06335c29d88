package cli

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"

	"github.com/sessionconf/sessionconf/harness/catalog"
)

//go:embed starter.yaml.tmpl
var starterTmpl string

var starter = template.Must(template.New("starter").Parse(starterTmpl))

func init() {
	register("init", "write a commented starter manifest (every field, defaults shown)", initCmd)
}

func initCmd(args []string, stdout, stderr io.Writer) int {
	flags := newFlags("init", stderr)
	name := flags.String("name", "", "the target's name (default: the file's name without extension, or my-app)")
	var profiles listFlag
	flags.Var(&profiles, "profiles", "profiles the app supports, comma-separated (default: filesystem,redis)")
	force := flags.Bool("force", false, "overwrite an existing file")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: sessionconf init [-name NAME] [-profiles filesystem,redis,cookie] [-force] [FILE | -]\n\nWithout FILE (or with -) the manifest goes to stdout.")
		flags.PrintDefaults()
	}
	files, code, ok := parse(flags, args)
	if !ok {
		return code
	}
	if len(files) > 1 {
		fmt.Fprintf(stderr, "sessionconf init: one file at most, got %q\n", files)
		return exitUsage
	}
	path := ""
	if len(files) == 1 {
		path = files[0]
	}
	data, err := starterManifest(*name, path, profiles)
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf init:", err)
		return exitUsage
	}
	if path == "" || path == "-" {
		stdout.Write(data)
		return exitOK
	}
	mode := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		mode = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintln(stderr, "sessionconf init:", err)
			return exitFail
		}
	}
	f, err := os.OpenFile(path, mode, 0o644)
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(stderr, "sessionconf init: %s exists; not overwriting it (use -force to replace it)\n", path)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf init:", err)
		return exitFail
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		fmt.Fprintln(stderr, "sessionconf init:", err)
		return exitFail
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(stderr, "sessionconf init:", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "sessionconf init: wrote %s; edit process.command (and whatever else differs from the defaults), then run:\n  sessionconf doctor -target %s\n", path, path)
	return exitOK
}

// starterManifest renders the starter for a target name, the file it goes
// to ("" for stdout) and its profiles.
func starterManifest(name, path string, profiles []string) ([]byte, error) {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if name == "" {
		name = base
		if path == "" || path == "-" || name == "" {
			name = "my-app"
		}
	}
	if len(profiles) == 0 {
		profiles = []string{string(catalog.Filesystem), string(catalog.Redis)}
	}
	for _, p := range profiles {
		if _, err := catalog.ParseProfile(p); err != nil {
			return nil, err
		}
	}
	quoted, err := yaml.Marshal(name)
	if err != nil {
		return nil, err
	}
	file := path
	if file == "" || file == "-" {
		file = name + ".yaml"
	}
	known := base
	if known == "" || path == "" || path == "-" {
		known = name
	}
	var b bytes.Buffer
	err = starter.Execute(&b, map[string]string{
		"Name":         name,
		"QuotedName":   strings.TrimSpace(string(quoted)),
		"File":         file,
		"Profiles":     strings.Join(profiles, ", "),
		"KnownFailing": known + ".known-failing",
	})
	return b.Bytes(), err
}
