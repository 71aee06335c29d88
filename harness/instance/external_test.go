package instance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/manifest"
)

// refserver builds the reference server once for the tests that need a
// real target.
func refserver(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "refserver")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/sessionconf/sessionconf/reference/cmd/refserver")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build refserver: %v\n%s", err, out)
	}
	return bin
}

func TestExternalTargetThroughHooks(t *testing.T) {
	bin := refserver(t)
	dir := t.TempDir()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	accounts, _ := filepath.Abs("../../reference/accounts/default.json")
	// The hooks run the server in the background the way a compose file
	// would, with the environment the harness computed.
	start := fmt.Sprintf(`PORT=%d ACCOUNTS_FILE=%s %s >>%s/server.log 2>&1 & echo $! >%s/pid`, port, accounts, bin, dir, dir)
	stop := fmt.Sprintf(`kill $(cat %s/pid); while kill -0 $(cat %s/pid) 2>/dev/null; do sleep 0.05; done`, dir, dir)
	doc := fmt.Sprintf(`
name: external-reference
external:
  url: http://127.0.0.1:%d
  hooks:
    start: %q
    stop: %q
    restart: %q
    clear: "rm -rf %s/flask_session/*"
`, port, start, stop, stop+"; "+start, dir)
	m, err := manifest.Parse([]byte(doc), filepath.Join(dir, "external.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in, err := Launch(ctx, m, Config{Name: "a", Profile: catalog.Filesystem, StateDir: dir, LogDir: dir, StartTimeout: 15 * time.Second})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	defer in.Close(context.Background())
	get := func() int {
		resp, err := http.Get(in.URL("/healthz"))
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get() != 200 {
		t.Fatal("the target is not up after the start hook")
	}
	if err := in.Restart(ctx); err != nil {
		t.Fatalf("restart through hooks.restart: %v", err)
	}
	if get() != 200 {
		t.Fatal("the target is not up after the restart hook")
	}
	if err := in.RunHook(ctx, OpClear); err != nil {
		t.Fatalf("hooks.clear: %v", err)
	}
	var unsup *ErrUnsupported
	if err := in.Crash(ctx); !errors.As(err, &unsup) {
		t.Errorf("a crash without hooks.kill should be unsupported, got %v", err)
	}
	if err := in.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if get() != 0 {
		t.Error("the target still answers after the stop hook")
	}
	if logs := in.Logs(); len(logs) != 1 {
		t.Errorf("hook output should be kept in one log, got %v", logs)
	} else if data, _ := os.ReadFile(logs[0]); len(data) == 0 {
		t.Error("the hook log is empty")
	}
}
