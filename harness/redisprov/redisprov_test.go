package redisprov

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/reference/redisserver"
)

// logWriter sends provider output to the test log.
type logWriter struct {
	mu sync.Mutex
	t  *testing.T
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func testConfig(t *testing.T, kind string) Config {
	return Config{Provider: kind, RunID: "test-" + NewRunID(), Out: &logWriter{t: t}}
}

// needDocker skips only when no engine answers; on the Docker machine kind
// the container tests must run.
func needDocker(t *testing.T) *dockerAPI {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	d, err := newDockerAPI(ctx, stdlog.New(io.Discard, "", 0))
	if err != nil {
		t.Skipf("no Docker engine answers, container provider not exercised: %v", err)
	}
	t.Cleanup(func() { d.close() })
	return d
}

// runContainers lists the containers with our run label, as
// `docker ps -a --filter label=org.sessionconf.run=<id>` would.
func runContainers(t *testing.T, d *dockerAPI, runID string) []string {
	t.Helper()
	res, err := d.cli.ContainerList(context.Background(), client.ContainerListOptions{
		All: true, Filters: make(client.Filters).Add("label", LabelRun+"="+runID),
	})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	var ids []string
	for _, c := range res.Items {
		ids = append(ids, c.ID[:12]+" "+string(c.State))
	}
	return ids
}

func dockerPS(t *testing.T, runID string) string {
	if _, err := exec.LookPath("docker"); err != nil {
		return "(no docker CLI)"
	}
	out, _ := exec.Command("docker", "ps", "-a", "--filter", "label="+LabelRun+"="+runID,
		"--format", "{{.ID}} {{.Image}} {{.Status}} {{.Ports}}").CombinedOutput()
	return strings.TrimSpace(string(out))
}

// exerciseOutages is the round trip every controllable provider must pass:
// data in a database, Stop → errors, Start → same URL works again,
// Pause → a read times out, Unpause → answers again.
func exerciseOutages(t *testing.T, inst *Instance) {
	t.Helper()
	ctx := context.Background()
	url := inst.URL(7)
	if !strings.HasPrefix(url, "redis://127.0.0.1:") || !strings.HasSuffix(url, "/7") {
		t.Fatalf("URL(7) = %q, want redis://127.0.0.1:PORT/7", url)
	}
	c := inst.Client(7)
	if err := c.Set(ctx, "sess:a", "v", time.Minute).Err(); err != nil {
		t.Fatalf("set: %v", err)
	}
	if n, _ := inst.Client(8).DBSize(ctx).Result(); n != 0 {
		t.Fatalf("db 8 sees %d keys of db 7", n)
	}

	t0 := time.Now()
	if err := inst.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("stop took %v", time.Since(t0).Round(time.Millisecond))
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered while stopped")
	} else {
		t.Logf("while stopped: %v", err)
	}
	t0 = time.Now()
	if err := inst.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Logf("restart took %v", time.Since(t0).Round(time.Millisecond))
	if inst.URL(7) != url {
		t.Fatalf("URL changed across stop/start: %s → %s", url, inst.URL(7))
	}
	// A client made from the old URL string, as a target would.
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	fresh := redis.NewClient(opts)
	defer fresh.Close()
	if err := fresh.Set(ctx, "sess:b", "v", time.Minute).Err(); err != nil {
		t.Fatalf("same URL after start: %v", err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("old client after start: %v", err)
	}

	if err := inst.Pause(ctx); err != nil {
		t.Fatalf("pause: %v", err)
	}
	rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	t0 = time.Now()
	err = c.Get(rctx, "sess:b").Err()
	cancel()
	if err == nil {
		t.Fatal("GET answered while paused")
	}
	if elapsed := time.Since(t0); elapsed > 3*time.Second {
		t.Fatalf("paused read took %v to fail", elapsed)
	}
	t.Logf("while paused: %v after %v", err, time.Since(t0).Round(time.Millisecond))
	if err := inst.Unpause(ctx); err != nil {
		t.Fatalf("unpause: %v", err)
	}
	if v, err := fresh.Get(ctx, "sess:b").Result(); err != nil || v != "v" {
		t.Fatalf("after unpause: %q, %v", v, err)
	}
	// Stop while paused must not hang.
	inst.Pause(ctx)
	t0 = time.Now()
	if err := inst.Stop(ctx); err != nil {
		t.Fatalf("stop while paused: %v", err)
	}
	if d := time.Since(t0); d > 4*time.Second {
		t.Errorf("stop while paused took %v", d)
	}
	if err := inst.Start(ctx); err != nil {
		t.Fatalf("start after paused stop: %v", err)
	}
}

func TestRyukDisabled(t *testing.T) {
	if v := os.Getenv(envRyuk); v != "true" {
		t.Fatalf("%s = %q, want exactly true", envRyuk, v)
	}
}

func TestContainerProvider(t *testing.T) {
	d := needDocker(t)
	ctx := context.Background()
	cfg := testConfig(t, "container")
	before := dockerPS(t, cfg.RunID)
	p, err := Select(ctx, cfg)
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	if p.Kind() != KindContainer {
		t.Fatalf("kind %s", p.Kind())
	}
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatalf("new instance: %v", err)
	}
	t.Logf("container start time (create+start+PING via mapped port): %v", inst.StartupTime().Round(time.Millisecond))
	t.Logf("docker ps -a before: %q; running: %s", before, dockerPS(t, cfg.RunID))
	if !strings.HasPrefix(inst.Addr(), "127.0.0.1:") {
		t.Fatalf("addr %s is not on 127.0.0.1", inst.Addr())
	}
	if n, err := inst.Client(0).ConfigGet(ctx, "databases").Result(); err != nil || n["databases"] != "4096" {
		t.Fatalf("databases = %v, %v; want 4096", n, err)
	}
	exerciseOutages(t, inst)

	if err := inst.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if left := runContainers(t, d, cfg.RunID); len(left) > 0 {
		t.Fatalf("containers left after Terminate: %v", left)
	}
	t.Logf("docker ps -a after Terminate: %q", dockerPS(t, cfg.RunID))
	if err := inst.Stop(ctx); err == nil {
		t.Fatal("stop after terminate succeeded")
	}
	p.Close(ctx)
}

func TestContainerStartTimes(t *testing.T) {
	d := needDocker(t)
	ctx := context.Background()
	cfg := testConfig(t, "container")
	p, err := Select(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var times []string
	for range 3 {
		inst, err := p.NewInstance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, inst.StartupTime().Round(time.Millisecond).String())
	}
	t.Logf("container start times: %s", strings.Join(times, ", "))
	if n := len(runContainers(t, d, cfg.RunID)); n != 3 {
		t.Fatalf("%d containers with the run label, want 3", n)
	}
	// Reap, as at suite end or on interrupt: everything of the run goes.
	removed, err := Reap(ctx, cfg.RunID)
	if err != nil || len(removed) != 3 {
		t.Fatalf("reap removed %d (%v), want 3", len(removed), err)
	}
	if left := runContainers(t, d, cfg.RunID); len(left) > 0 {
		t.Fatalf("containers left after Reap: %v", left)
	}
	if err := p.Close(ctx); err != nil { // instances already gone: not an error
		t.Fatalf("close after reap: %v", err)
	}
}

// Process 1 starts, the others attach from bytes; attached instances cannot
// break the shared server but their Provider starts private ones.
func TestSharedAcrossProcesses(t *testing.T) {
	d := needDocker(t)
	ctx := context.Background()
	cfg := testConfig(t, "")
	p, err := Select(ctx, cfg) // auto: a container here
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind() != KindContainer {
		t.Fatalf("auto chose %s although an engine answers (%s)", p.Kind(), p.Reason())
	}
	shared, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	data := shared.MustMarshal()
	t.Logf("descriptor: %s", data)

	var dbs [][2]int
	for proc := 1; proc <= 3; proc++ {
		att, err := Attach(ctx, data)
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		if att.Owned() || att.Addr() != shared.Addr() || att.ContainerID() != shared.ContainerID() {
			t.Fatalf("attached %+v", att.Descriptor())
		}
		if err := att.Stop(ctx); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("stop on attached: %v, want ErrNotOwner", err)
		}
		a, err := att.DBs(proc, 3)
		if err != nil {
			t.Fatal(err)
		}
		db, err := att.FreshDB(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		first, n := a.Range()
		dbs = append(dbs, [2]int{first, n})
		if err := att.Client(db).Set(ctx, "owner", proc, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if proc == 2 {
			own, err := att.Provider().NewInstance(ctx)
			if err != nil {
				t.Fatalf("private instance from an attached provider: %v", err)
			}
			if own.Addr() == shared.Addr() || !own.Owned() {
				t.Fatalf("private instance %s owned=%v", own.Addr(), own.Owned())
			}
			if err := own.Pause(ctx); err != nil {
				t.Fatal(err)
			}
			if err := att.Provider().Close(ctx); err != nil { // terminates own, paused or not
				t.Fatal(err)
			}
		}
		if err := att.Terminate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := shared.Ping(ctx); err != nil {
			t.Fatalf("attached Terminate broke the shared instance: %v", err)
		}
	}
	t.Logf("db ranges of 3 processes: %v", dbs)
	if left := runContainers(t, d, cfg.RunID); len(left) != 1 {
		t.Fatalf("containers of the run: %v, want only the shared one", left)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if left := runContainers(t, d, cfg.RunID); len(left) > 0 {
		t.Fatalf("containers left: %v", left)
	}
}

// A fresh clone: the image is missing and gets built from build.sh.
func TestImageBuiltWhenMissing(t *testing.T) {
	d := needDocker(t)
	ctx := context.Background()
	cfg := testConfig(t, "container")
	cfg.Image = OwnImagePrefix + "test-" + strings.ToLower(cfg.RunID[len(cfg.RunID)-6:])
	t.Cleanup(func() {
		d.cli.ImageRemove(context.Background(), cfg.Image, client.ImageRemoveOptions{Force: true})
	})
	p, err := Select(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.Info().ImageBuild == 0 {
		t.Fatalf("image %s not built by Select", cfg.Image)
	}
	t.Logf("image build during Select: %v", p.Info().ImageBuild.Round(time.Millisecond))
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if left := runContainers(t, d, cfg.RunID); len(left) > 0 {
		t.Fatalf("containers left: %v", left)
	}
}

func TestMissingForeignImageFailsFast(t *testing.T) {
	needDocker(t)
	cfg := testConfig(t, "container")
	cfg.Image = "sessionconf.invalid/no-such-redis:0"
	cfg.StartTimeout = 20 * time.Second
	t0 := time.Now()
	_, err := Select(context.Background(), cfg)
	if err == nil {
		t.Fatal("select succeeded with an unpullable image")
	}
	t.Logf("after %v: %v", time.Since(t0).Round(time.Millisecond), err)
	if time.Since(t0) > 15*time.Second {
		t.Fatalf("took %v", time.Since(t0))
	}
}

func TestLocalProvider(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	ctx := context.Background()
	p, err := Select(ctx, testConfig(t, "local"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	t.Logf("local start time: %v", inst.StartupTime())
	pid := inst.Descriptor().PID
	if pid == 0 {
		t.Fatal("no pid")
	}
	exerciseOutages(t, inst)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := inst.Ping(ctx); err == nil {
		t.Fatal("local server answers after Close")
	}
	// Attach works for the local kind too (process 1 → others).
	inst2, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	att, err := Attach(ctx, inst2.MustMarshal())
	if err != nil || att.Kind() != KindLocal {
		t.Fatalf("attach local: %v", err)
	}
	if err := att.Pause(ctx); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("pause attached: %v", err)
	}
}

func TestExternalProvider(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	ctx := context.Background()
	srv, err := redisserver.Start(ctx, redisserver.Options{Databases: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := testConfig(t, "external")
	cfg.URL = "redis://" + srv.Addr + "/3"
	p, err := Select(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Terminate(ctx)
	if inst.Addr() != srv.Addr || inst.Databases() != 32 || inst.URL(5) != "redis://"+srv.Addr+"/5" {
		t.Fatalf("addr %s databases %d url %s", inst.Addr(), inst.Databases(), inst.URL(5))
	}
	if err := inst.Client(5).Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]func(context.Context) error{
		"stop": inst.Stop, "start": inst.Start, "pause": inst.Pause, "unpause": inst.Unpause,
	} {
		err := op(ctx)
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("%s: %v, want ErrUnsupported", name, err)
		}
		if name == "stop" {
			t.Logf("stop: %v", err)
		}
	}
	if err := inst.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pingURL(ctx, srv.URL(0)); err != nil {
		t.Fatalf("terminating an external instance touched the server: %v", err)
	}
	att, err := Attach(ctx, inst.MustMarshal())
	if err != nil || att.Kind() != KindExternal {
		t.Fatalf("attach external: %v", err)
	}
	// Explicit external without a reachable server fails at Select.
	cfg.URL = "redis://127.0.0.1:1/0"
	if _, err := Select(ctx, cfg); err == nil {
		t.Fatal("select external with a dead URL succeeded")
	}
}

// Auto mode without an engine: the error testcontainers gives on a machine
// with no Docker (toolchain.md §5) must lead to the local provider.
func TestAutoFallsBackToLocal(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	saved := connectDocker
	connectDocker = func(context.Context, *stdlog.Logger) (*dockerAPI, error) {
		return nil, errors.New("rootless Docker not found, failed to create Docker provider")
	}
	defer func() { connectDocker = saved }()
	ctx := context.Background()
	var out bytes.Buffer
	cfg := testConfig(t, "auto")
	cfg.Out = &out
	p, err := Select(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.NewInstance(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	line := strings.TrimSpace(out.String())
	t.Logf("decision: %s", line)
	if p.Kind() != KindLocal || strings.Count(line, "\n") != 0 ||
		!strings.HasPrefix(line, "redis: docker engine not reachable (rootless Docker not found") ||
		!strings.Contains(line, "using local redis-server on 127.0.0.1:") {
		t.Fatalf("kind %s, decision line %q", p.Kind(), line)
	}
	if info := p.Info(); info.Kind != KindLocal || info.Addr == "" || info.StartupTime == 0 {
		t.Fatalf("info %+v", info)
	}
	// Explicit container mode must fail instead of falling back.
	cfg.Provider = "container"
	if _, err := Select(ctx, cfg); err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Fatalf("explicit container without engine: %v", err)
	}
}

func TestDBAllocator(t *testing.T) {
	seen := map[int]int{}
	for proc := 1; proc <= 8; proc++ {
		a, err := NewDBAllocator(4096, proc, 8)
		if err != nil {
			t.Fatal(err)
		}
		first, n := a.Range()
		if n != 511 {
			t.Fatalf("range of %d", n)
		}
		for i := 0; i < n; i++ {
			db := a.Next()
			if db == 0 || db >= 4096 {
				t.Fatalf("db %d out of range", db)
			}
			if other, dup := seen[db]; dup {
				t.Fatalf("db %d given to processes %d and %d", db, other, proc)
			}
			seen[db] = proc
		}
		if db := a.Next(); db != first {
			t.Fatalf("wrap-around gave %d, want %d", db, first)
		}
	}
	if _, err := NewDBAllocator(16, 1, 32); err == nil {
		t.Fatal("16 databases split among 32 processes")
	}
	if _, err := NewDBAllocator(16, 3, 2); err == nil {
		t.Fatal("process 3 of 2 accepted")
	}
	if a, err := NewDBAllocator(16, 1, 0); err != nil || a.Next() != 1 {
		t.Fatalf("plain go test: %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvProvider, "local")
	t.Setenv(EnvImage, "redis:7")
	t.Setenv(EnvURL, "")
	t.Setenv("REDIS_URL", "redis://example:6379/0")
	t.Setenv(EnvBuild, "0")
	c := ConfigFromEnv()
	if c.Provider != "local" || c.Image != "redis:7" || c.URL != "redis://example:6379/0" || !c.NoBuild {
		t.Fatalf("%+v", c)
	}
	c = c.withDefaults()
	if c.Databases != DefaultDatabases || c.RunID == "" {
		t.Fatalf("%+v", c)
	}
	if _, err := Select(context.Background(), Config{Provider: "podman"}); err == nil {
		t.Fatal("unknown provider accepted")
	}
}

// A harness killed with SIGKILL cannot clean up: its redis-server must die
// with it (Pdeathsig), and its container must be removed by the next run's
// Select (orphan reaping by the host and pid labels).
func TestHarnessKilled(t *testing.T) {
	if kind := os.Getenv("REDISPROV_CHILD"); kind != "" {
		ctx := context.Background()
		p, err := Select(ctx, Config{Provider: kind, RunID: os.Getenv("REDISPROV_CHILD_RUN"), Out: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		inst, err := p.NewInstance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d := inst.Descriptor()
		fmt.Printf("READY %d %s\n", d.PID, d.ContainerID)
		time.Sleep(time.Minute) // killed by the parent long before
		return
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	for _, kind := range []string{"local", "container"} {
		t.Run(kind, func(t *testing.T) {
			var d *dockerAPI
			if kind == "container" {
				d = needDocker(t)
			}
			runID := "test-killed-" + NewRunID()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHarnessKilled$", "-test.count=1")
			// The killed child cannot remove its redis-server directory: keep it in ours.
			cmd.Env = append(os.Environ(), "REDISPROV_CHILD="+kind, "REDISPROV_CHILD_RUN="+runID, "TMPDIR="+t.TempDir())
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var pid int
			var cid string
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if _, err := fmt.Sscanf(sc.Text(), "READY %d %s", &pid, &cid); err == nil || strings.HasPrefix(sc.Text(), "READY") {
					break
				}
			}
			cmd.Process.Kill() // the child we started, by its PID
			cmd.Wait()
			switch kind {
			case "local":
				if pid == 0 {
					t.Fatal("child printed no pid")
				}
				deadline := time.Now().Add(5 * time.Second)
				for alive(pid) {
					if time.Now().After(deadline) {
						syscall.Kill(pid, syscall.SIGKILL)
						t.Fatalf("redis-server %d outlived its killed harness", pid)
					}
					time.Sleep(10 * time.Millisecond)
				}
				t.Logf("redis-server %d died with its harness", pid)
			case "container":
				if cid == "" {
					t.Fatal("child printed no container id")
				}
				if left := runContainers(t, d, runID); len(left) != 1 {
					t.Fatalf("containers of the killed run: %v", left)
				}
				t.Logf("left by the killed harness: %s", dockerPS(t, runID))
				var out bytes.Buffer
				cfg := testConfig(t, "container")
				cfg.Out = &out
				p, err := Select(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				p.Close(context.Background())
				t.Logf("next run's Select: %s", strings.TrimSpace(out.String()))
				if left := runContainers(t, d, runID); len(left) > 0 {
					Reap(context.Background(), runID)
					t.Fatalf("orphan not reaped: %v", left)
				}
			}
		})
	}
}

// alive: the process exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// Any image already present is used by name, neither pulled nor built (a
// public redis:7 works the same where a registry exists: one pull first).
func TestForeignImageByName(t *testing.T) {
	d := needDocker(t)
	ctx := context.Background()
	cfg := testConfig(t, "container")
	cfg.Image = "sessionconf-test.local/redis:7-" + strings.ToLower(cfg.RunID[len(cfg.RunID)-6:])
	if _, err := d.cli.ImageTag(ctx, client.ImageTagOptions{Source: DefaultImage, Target: cfg.Image}); err != nil {
		t.Skipf("cannot tag %s (not built?): %v", DefaultImage, err)
	}
	t.Cleanup(func() {
		d.cli.ImageRemove(context.Background(), cfg.Image, client.ImageRemoveOptions{}) // the tag only
	})
	p, err := Select(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	if p.Info().ImageBuild != 0 {
		t.Fatal("a foreign image was built")
	}
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Client(3).Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
}
