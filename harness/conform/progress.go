package conform

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/sessionconf/sessionconf/harness/progress"
)

var flagProgress = flag.String("sessionconf.progress", os.Getenv("SESSIONCONF_PROGRESS"), "append what the specs do (began, waits, ended) as JSON lines to this file; `sessionconf run` follows it for its progress lines")

// progressFile is this process's writer of the progress file (nil: none).
var progressFile = sync.OnceValue(func() *progress.Writer {
	w, err := progress.Create(*flagProgress)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sessionconf:", err)
	}
	return w
})

// reportEnded tells the command a spec ended, with the status the results
// will give it (the ReportAfterEach of RunSuite). A spec that did not run
// (filtered out) says nothing: the command counts only specs that run.
func reportEnded(sr ginkgo.SpecReport) {
	if !sr.LeafNodeType.Is(ginkgoIt) || sr.State.Is(notRun) && !hasResult(sr) {
		return
	}
	res := specResult(sr, "")
	progressFile().Write(progress.Event{Kind: progress.Ended, ID: res.Requirement, Status: string(res.Status), Seconds: sr.RunTime.Seconds()})
}

func hasResult(sr ginkgo.SpecReport) bool {
	_, ok := entryOf(sr)
	return ok
}

// reportBegan and reportWaits name what a spec does while it runs.
func reportBegan(id string) {
	progressFile().Write(progress.Event{Kind: progress.Began, ID: id})
}

func reportWaits(id, why string, until time.Time) {
	progressFile().Write(progress.Event{Kind: progress.Waits, ID: id, Why: why, Until: until})
}
