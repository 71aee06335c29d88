package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/manifest"
)

func init() {
	register("list", "list the requirements, and which apply to a target", listCmd)
}

func listCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("list", stderr)
	targetPath := fs.String("target", "", "also show, per profile of this target, whether each requirement is tested")
	long := fs.Bool("long", false, "print each requirement's full text")
	if code, ok := noPositional(fs, args); !ok {
		return code
	}
	var m *manifest.Manifest
	if *targetPath != "" {
		var err error
		if m, err = manifest.Load(*targetPath); err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	head := "ID\tLEVEL\tPROFILES\tTITLE"
	if m != nil {
		for _, p := range m.Profiles {
			head += "\t" + strings.ToUpper(string(p))
		}
	}
	fmt.Fprintln(tw, head)
	for _, r := range catalog.All() {
		ps := make([]string, len(r.Profiles))
		for i, p := range r.Profiles {
			ps[i] = string(p)
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s", r.ID, r.Level, strings.Join(ps, ","), r.Title)
		if m != nil {
			for _, p := range m.Profiles {
				line += "\t" + applicability(r, p, m)
			}
		}
		fmt.Fprintln(tw, line)
		if *long {
			fmt.Fprintf(tw, "\t\t\t  %s\n", r.Text)
		}
	}
	tw.Flush()
	return exitOK
}

func applicability(r catalog.Requirement, p catalog.Profile, m *manifest.Manifest) string {
	if !r.AppliesTo(p) {
		return "unsupported (profile)"
	}
	if r.Needs != "" && !m.Has(r.Needs) {
		return "unsupported (needs " + string(r.Needs) + ")"
	}
	return "tested"
}
