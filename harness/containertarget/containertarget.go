// Package containertarget runs container-mode targets: an implementation's
// image, started by testcontainers-go on a Docker network it shares with the
// run's Redis container, reached by the harness through a port published on
// 127.0.0.1 (never a container IP). Restart is docker stop + start (the
// published port stays the same), a crash is docker kill + start, and the
// spec's state directory is mounted at the same path inside the container,
// so the harness inspects the session directory exactly as in process mode.
//
// harness/launch starts container-mode targets through it.
package containertarget

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	dockernetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/redisprov"
	"github.com/sessionconf/sessionconf/harness/supervisor"
)

// componentTarget labels target containers (redisprov.Reap removes every
// container of a run, whatever its component).
const componentTarget = "target"

// engine is this process's Docker connection and network.
var engine struct {
	once sync.Once
	err  error
	prov *testcontainers.DockerProvider
	cli  client.APIClient
	net  network
	mu   sync.Mutex
	seq  int
}

func connect(ctx context.Context) error {
	engine.once.Do(func() {
		prov, err := testcontainers.NewDockerProvider()
		if err != nil {
			engine.err = fmt.Errorf("container mode needs a Docker engine: %w", err)
			return
		}
		engine.prov, engine.cli = prov, prov.Client()
		// The name sorts after Docker's "bridge": a container's default
		// route goes to the network whose name comes first, and moving the
		// shared Redis's default route (a testcontainers network is named by
		// a UUID, "0..." to "f...") re-creates its published port, which
		// refuses connections for a moment in the middle of other specs.
		name := fmt.Sprintf("sessionconf-targets-%s-%d", runID(), os.Getpid())
		res, err := engine.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: labels()})
		if err != nil {
			engine.err = fmt.Errorf("create the Docker network of container targets: %w", err)
			return
		}
		engine.net = network{ID: res.ID, Name: name}
	})
	return engine.err
}

// network is the Docker network of this process's container targets.
type network struct{ ID, Name string }

// Close removes this process's network; containers are removed by their
// instances (and, whatever is left after an interrupt, by redisprov.Reap).
func Close(ctx context.Context) {
	if engine.net.ID != "" {
		engine.cli.NetworkRemove(ctx, engine.net.ID, client.NetworkRemoveOptions{})
	}
}

// ReapNetworks removes the networks of run runID that are left (an
// interrupted run); call it after redisprov.Reap has removed the
// containers attached to them.
func ReapNetworks(ctx context.Context, runID string) error {
	prov, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer prov.Close()
	cli := prov.Client()
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", redisprov.LabelRun+"="+runID)})
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nets.Items {
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func labels() map[string]string {
	host, _ := os.Hostname()
	return map[string]string{
		redisprov.LabelRun:       runID(),
		redisprov.LabelComponent: componentTarget,
		redisprov.LabelPID:       strconv.Itoa(os.Getpid()),
		redisprov.LabelHost:      host,
	}
}

func runID() string {
	if id := os.Getenv(redisprov.EnvRunID); id != "" {
		return id
	}
	return "standalone-" + strconv.Itoa(os.Getpid())
}

// runner is one container target.
type runner struct {
	in      *instance.Instance
	c       *testcontainers.DockerContainer
	grace   time.Duration
	logPath string
}

// Launch starts in's image and waits until it is ready.
func Launch(ctx context.Context, in *instance.Instance) (instance.Runner, error) {
	if err := connect(ctx); err != nil {
		return nil, err
	}
	m := in.Manifest()
	inside := m.Container.Port
	redisURL, err := redisInNetwork(ctx, in.Config.RedisURL)
	if err != nil {
		return nil, err
	}
	in.Config.RedisURL = redisURL
	env, err := in.ContainerEnviron(inside)
	if err != nil {
		return nil, err
	}
	envMap := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	binds := []string{in.Config.StateDir + ":" + in.Config.StateDir}
	if in.Config.Production {
		dir := filepath.Dir(in.Config.TLSCert)
		binds = append(binds, dir+":"+dir+":ro")
	}
	engine.mu.Lock()
	engine.seq++
	name := fmt.Sprintf("sessionconf-target-%s-%d-%d", runID(), os.Getpid(), engine.seq)
	engine.mu.Unlock()

	r := &runner{in: in, grace: in.Config.StopGrace, logPath: filepath.Join(in.Config.LogDir, in.Name+"-container.log")}
	var lastErr error
	for attempt := range 3 {
		port, err := instance.FreePort()
		if err != nil {
			return nil, err
		}
		in.Port = port
		scheme := "http"
		if in.Config.Production {
			scheme = "https"
		}
		in.BaseURL = fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
		containerPort := dockernetwork.MustParsePort(strconv.Itoa(inside) + "/tcp")
		binding := dockernetwork.PortBinding{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(port)}
		c, err := testcontainers.Run(ctx, m.Container.Image,
			testcontainers.WithName(fmt.Sprintf("%s-%d", name, attempt)),
			testcontainers.WithLabels(labels()),
			testcontainers.WithEnv(envMap),
			testcontainers.WithExposedPorts(containerPort.String()),
			tcnetwork.WithNetworkName(nil, engine.net.Name),
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
				hc.PortBindings = dockernetwork.PortMap{containerPort: {binding}}
				hc.Binds = append(hc.Binds, binds...)
			}),
			testcontainers.WithWaitStrategyAndDeadline(in.Config.StartTimeout, wait.ForNop(r.waitReady)),
		)
		r.c = c
		if err == nil {
			return r, nil
		}
		lastErr = err
		r.saveLogs(context.WithoutCancel(ctx))
		if c != nil {
			c.Terminate(context.WithoutCancel(ctx))
		}
		if !strings.Contains(err.Error(), "address already in use") && !strings.Contains(err.Error(), "port is already allocated") {
			break
		}
	}
	return r, r.startError(lastErr)
}

// waitReady polls the ready route through the published port until it
// answers below 500, failing early if the container exits.
func (r *runner) waitReady(ctx context.Context, t wait.StrategyTarget) error {
	// Each probe waits for its answer (bounded by ctx), never abandoned
	// for a later one: see supervisor's waitReady.
	client := &http.Client{Transport: insecure(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	u := r.in.URL(r.in.Manifest().Routes.Ready)
	for {
		var resp *http.Response
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil {
			resp, err = client.Do(req)
		}
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		if st, err := t.State(ctx); err == nil && !st.Running {
			return &exitedEarly{code: st.ExitCode, url: u}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer below 500 in time: %w", u, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// exitedEarly is a container that exited before it answered.
type exitedEarly struct {
	code int
	url  string
}

func (e *exitedEarly) Error() string {
	return fmt.Sprintf("the container exited (status %d) before %s answered", e.code, e.url)
}

// startError is a supervisor.StartError, so the suites judge a container
// that refuses its settings the way they judge a process that does.
func (r *runner) startError(err error) error {
	se := &supervisor.StartError{Name: r.in.Name, Reason: "did not start: " + err.Error(), LogPath: r.logPath, LogTail: r.LogTail(20)}
	var ex *exitedEarly
	if errors.As(err, &ex) {
		se.ExitCode = ex.code
	}
	return se
}

func (r *runner) Start(ctx context.Context) error {
	if err := r.c.Start(ctx); err != nil {
		r.saveLogs(ctx)
		return r.startError(err)
	}
	return nil
}

func (r *runner) Stop(ctx context.Context) error {
	grace := r.grace
	err := r.c.Stop(ctx, &grace)
	r.saveLogs(ctx)
	return err
}

func (r *runner) Kill(ctx context.Context) error {
	_, err := engine.cli.ContainerKill(ctx, r.c.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := r.c.State(ctx); err != nil || !st.Running {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.saveLogs(ctx)
	return nil
}

func (r *runner) Running() bool {
	st, err := r.c.State(context.Background())
	return err == nil && st.Running
}

func (r *runner) Can(instance.Op) bool { return true }

// closeTimeout bounds removing a container at the end of a spec; it has
// its own budget because a loaded Docker engine is slow, and a container
// left behind is worse than a late spec end.
const closeTimeout = time.Minute

// Close removes the container (end of spec).
func (r *runner) Close(ctx context.Context) {
	if r.c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	r.saveLogs(ctx)
	r.c.Terminate(ctx, testcontainers.StopTimeout(r.grace))
}

func (r *runner) Logs() []string {
	r.saveLogs(context.Background())
	return []string{r.logPath}
}

func (r *runner) LogTail(n int) string {
	r.saveLogs(context.Background())
	data, err := os.ReadFile(r.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// saveLogs copies the container's whole log (every start) into the log
// file; removed containers keep the last copy.
func (r *runner) saveLogs(ctx context.Context) {
	if r.c == nil {
		return
	}
	rc, err := r.c.Logs(ctx)
	if err != nil {
		return
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil || len(data) == 0 {
		return
	}
	os.WriteFile(r.logPath, data, 0o644)
}

// redisInNetwork turns the run's Redis URL (a port published on
// 127.0.0.1, what the harness uses) into one the target container can use:
// the Redis container is attached to the targets' network under an alias.
func redisInNetwork(ctx context.Context, raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	port := u.Port()
	list, err := engine.cli.ContainerList(ctx, client.ContainerListOptions{Filters: make(client.Filters).Add("publish", port)})
	if err != nil {
		return "", err
	}
	if len(list.Items) == 0 {
		return "", errors.New("container targets need the Redis of the run in a container (the local and external Redis providers cannot be reached from one); use the container provider")
	}
	alias := "redis-" + port
	_, err = engine.cli.NetworkConnect(ctx, engine.net.ID, client.NetworkConnectOptions{
		Container:      list.Items[0].ID,
		EndpointConfig: &dockernetwork.EndpointSettings{Aliases: []string{alias}},
	})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		return "", fmt.Errorf("attach Redis to the targets' network: %w", err)
	}
	u.Host = alias + ":6379"
	return u.String(), nil
}

func insecure() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	t.DisableKeepAlives = true
	return t
}
