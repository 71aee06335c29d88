package redisprov

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
	"github.com/testcontainers/testcontainers-go/wait"
)

const redisPort = "6379/tcp"

// dockerAPI is this process's connection to the engine testcontainers uses.
type dockerAPI struct {
	prov *testcontainers.DockerProvider
	cli  client.APIClient
}

func (d *dockerAPI) close() error { return d.prov.Close() }

// newDockerAPI connects the way testcontainers does (DOCKER_HOST, contexts,
// the default socket). Some of its host-lookup helpers panic: recover.
func newDockerAPI(ctx context.Context, logw *stdlog.Logger) (d *dockerAPI, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("testcontainers panicked: %v", r)
		}
	}()
	prov, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(logw))
	if err != nil {
		return nil, err
	}
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := prov.Health(hctx); err != nil {
		prov.Close()
		return nil, err
	}
	return &dockerAPI{prov: prov, cli: prov.Client()}, nil
}

// connectDocker is newDockerAPI; tests replace it to play "no engine"
// (testcontainers falls back to the default socket whatever DOCKER_HOST
// says, so the environment cannot hide a running engine).
var connectDocker = newDockerAPI

// containerSeq numbers this process's containers (names must be unique
// even when one process holds several Providers, e.g. an owned and an
// attached one).
var containerSeq atomic.Int64

func (p *Provider) dockerAPI(ctx context.Context) (*dockerAPI, error) {
	p.dockerOnce.Do(func() {
		p.docker, p.dockerErr = connectDocker(ctx, p.tcLogger())
	})
	return p.docker, p.dockerErr
}

func (p *Provider) tcLogger() *stdlog.Logger { return stdlog.New(p.cfg.Log, "testcontainers: ", 0) }

// useContainer checks the engine and the image; its errors read as the
// reason for falling back ("docker engine not reachable (...)").
func (p *Provider) useContainer(ctx context.Context) error {
	d, err := p.dockerAPI(ctx)
	if err != nil {
		return fmt.Errorf("docker engine not reachable (%v)", oneLine(err))
	}
	v, err := d.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return fmt.Errorf("docker engine not reachable (%v)", oneLine(err))
	}
	p.engine = v.Version
	if ids, err := reapOrphans(ctx, d.cli); err == nil && len(ids) > 0 {
		fmt.Fprintf(p.cfg.Out, "redis: removed %d leftover container(s) of dead sessionconf runs on this host\n", len(ids))
	}
	if err := p.ensureImage(ctx, d); err != nil {
		return fmt.Errorf("docker engine %s answers but image %s is unavailable (%v)", p.engine, p.cfg.Image, oneLine(err))
	}
	p.kind = KindContainer
	p.reason = "docker engine " + p.engine + " answers"
	return nil
}

// ensureImage: present → done; one of ours → build it with
// fixtures/redis-image/build.sh; another → one pull attempt (testcontainers
// would retry a failing pull for minutes).
func (p *Provider) ensureImage(ctx context.Context, d *dockerAPI) error {
	_, err := d.cli.ImageInspect(ctx, p.cfg.Image)
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return err
	}
	if strings.HasPrefix(p.cfg.Image, OwnImagePrefix) {
		if p.cfg.NoBuild {
			return errors.New("not built (run `make redis-image`)")
		}
		t0 := time.Now()
		if err := BuildImage(ctx, p.cfg.Image, p.cfg.Out); err != nil {
			return err
		}
		p.build = time.Since(t0)
		_, err = d.cli.ImageInspect(ctx, p.cfg.Image)
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, p.cfg.StartTimeout)
	defer cancel()
	resp, err := d.cli.ImagePull(pctx, p.cfg.Image, client.ImagePullOptions{})
	if err != nil {
		return fmt.Errorf("not present and not pullable: %w", err)
	}
	defer resp.Close()
	if err := resp.Wait(pctx); err != nil {
		return fmt.Errorf("not present and not pullable: %w", err)
	}
	return nil
}

// BuildImage runs fixtures/redis-image/build.sh for tag (it skips an
// existing image and serialises concurrent builds). The script is found via
// $SESSIONCONF_REDIS_IMAGE_SCRIPT, else above the working directory, else
// next to this source file.
func BuildImage(ctx context.Context, tag string, out io.Writer) error {
	script, err := buildScript()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, "--tag", tag)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s --tag %s: %w", script, tag, err)
	}
	return nil
}

func buildScript() (string, error) {
	const rel = "fixtures/redis-image/build.sh"
	if s := os.Getenv("SESSIONCONF_REDIS_IMAGE_SCRIPT"); s != "" {
		return s, nil
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			if _, err := os.Stat(filepath.Join(dir, rel)); err == nil {
				return filepath.Join(dir, rel), nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		s := filepath.Join(filepath.Dir(file), "..", "..", rel)
		if _, err := os.Stat(s); err == nil {
			return s, nil
		}
	}
	return "", errors.New("cannot find " + rel + " (run from the repository or set SESSIONCONF_REDIS_IMAGE_SCRIPT)")
}

// containerBackend controls one container by ID through the engine API.
type containerBackend struct {
	p    *Provider
	id   string
	addr string
	ctr  testcontainers.Container // nil when not created by this process
}

func (p *Provider) startContainer(ctx context.Context) (*Instance, error) {
	d, err := p.dockerAPI(ctx)
	if err != nil {
		return nil, fmt.Errorf("redisprov: docker engine: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StartTimeout)
	defer cancel()

	seq := containerSeq.Add(1)
	labels := p.containerLabels()
	args := []string{
		"--protected-mode", "no", "--save", "", "--appendonly", "no",
		"--databases", strconv.Itoa(p.cfg.Databases),
	}
	t0 := time.Now()
	var lastErr error
	// The host port is fixed (not ephemeral) so that a stopped and started
	// container keeps its address; a port taken between our probe and
	// Docker's bind is retried with another one.
	for attempt := 0; attempt < 4; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		binding := network.PortBinding{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(port)}
		name := fmt.Sprintf("sessionconf-redis-%s-%d-%d", p.cfg.RunID, os.Getpid(), seq)
		if attempt > 0 {
			name += "-" + strconv.Itoa(attempt)
		}
		ctr, err := tcredis.Run(ctx, p.cfg.Image,
			testcontainers.WithCmd(args...),
			testcontainers.WithLabels(labels),
			testcontainers.WithName(name),
			testcontainers.WithLogger(p.tcLogger()),
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
				hc.PortBindings = network.PortMap{network.MustParsePort(redisPort): {binding}}
			}),
			// Ready = PING answered through the mapped port, the only way
			// the suites reach it (replaces the module's log/port waits).
			testcontainers.WithWaitStrategy(wait.ForNop(func(ctx context.Context, t wait.StrategyTarget) error {
				return waitReady(ctx, addr, func(ctx context.Context) error { return targetDead(ctx, t) })
			})),
		)
		if err != nil {
			lastErr = err
			if ctr != nil {
				removeContainer(context.WithoutCancel(ctx), d.cli, ctr.GetContainerID())
			}
			if isPortConflict(err) && ctx.Err() == nil {
				continue
			}
			return nil, fmt.Errorf("redisprov: start %s container: %w", p.cfg.Image, err)
		}
		id := ctr.GetContainerID()
		if err := checkBinding(ctx, d.cli, id, port); err != nil {
			removeContainer(context.WithoutCancel(ctx), d.cli, id)
			return nil, err
		}
		return &Instance{
			prov: p, kind: KindContainer, addr: addr, base: &url.URL{Scheme: "redis", Host: addr},
			containerID: id, databases: p.cfg.Databases, startup: time.Since(t0), owned: true,
			be: &containerBackend{p: p, id: id, addr: addr, ctr: ctr},
		}, nil
	}
	return nil, fmt.Errorf("redisprov: start %s container: no free host port: %w", p.cfg.Image, lastErr)
}

// containerLabels are the labels of every container of this process: the
// run (Reap), and the host and pid (orphan reaping when the process died).
func (p *Provider) containerLabels() map[string]string {
	host, _ := os.Hostname()
	return map[string]string{
		LabelRun:       p.cfg.RunID,
		LabelComponent: componentRedis,
		LabelPID:       strconv.Itoa(os.Getpid()),
		LabelHost:      host,
	}
}

func targetDead(ctx context.Context, t wait.StrategyTarget) error {
	st, err := t.State(ctx)
	if err != nil {
		return err
	}
	if st.Status == container.StateExited || st.Status == container.StateDead {
		return fmt.Errorf("container %s (exit code %d)", st.Status, st.ExitCode)
	}
	return nil
}

func isPortConflict(err error) bool {
	s := err.Error()
	return strings.Contains(s, "port is already allocated") || strings.Contains(s, "address already in use")
}

// checkBinding makes sure Docker published exactly 127.0.0.1:port.
func checkBinding(ctx context.Context, cli client.APIClient, id string, port int) error {
	res, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	var got []string
	if ns := res.Container.NetworkSettings; ns != nil {
		for _, b := range ns.Ports[network.MustParsePort(redisPort)] {
			if b.HostIP.String() == "127.0.0.1" && b.HostPort == strconv.Itoa(port) {
				return nil
			}
			got = append(got, b.HostIP.String()+":"+b.HostPort)
		}
	}
	return fmt.Errorf("redisprov: container %s: %s published on %v, want 127.0.0.1:%d", shortID(id), redisPort, got, port)
}

func (b *containerBackend) cli(ctx context.Context) (client.APIClient, error) {
	d, err := b.p.dockerAPI(ctx)
	if err != nil {
		return nil, err
	}
	return d.cli, nil
}

func (b *containerBackend) stop(ctx context.Context) error {
	cli, err := b.cli(ctx)
	if err != nil {
		return err
	}
	timeout := 5 // seconds; redis with persistence off exits at once on SIGTERM
	_, err = cli.ContainerStop(ctx, b.id, client.ContainerStopOptions{Timeout: &timeout})
	return err
}

func (b *containerBackend) start(ctx context.Context) error {
	cli, err := b.cli(ctx)
	if err != nil {
		return err
	}
	if _, err := cli.ContainerStart(ctx, b.id, client.ContainerStartOptions{}); err != nil {
		return err
	}
	return waitReady(ctx, b.addr, func(ctx context.Context) error {
		res, err := cli.ContainerInspect(ctx, b.id, client.ContainerInspectOptions{})
		if err != nil {
			return err
		}
		if st := res.Container.State; st != nil && !st.Running {
			return fmt.Errorf("container %s (exit code %d)", st.Status, st.ExitCode)
		}
		return nil
	})
}

func (b *containerBackend) pause(ctx context.Context) error {
	cli, err := b.cli(ctx)
	if err != nil {
		return err
	}
	_, err = cli.ContainerPause(ctx, b.id, client.ContainerPauseOptions{})
	return err
}

func (b *containerBackend) unpause(ctx context.Context) error {
	cli, err := b.cli(ctx)
	if err != nil {
		return err
	}
	_, err = cli.ContainerUnpause(ctx, b.id, client.ContainerUnpauseOptions{})
	return err
}

// terminate removes the container and its volumes; testcontainers'
// Terminate also closes the client it opened for the container.
func (b *containerBackend) terminate(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx) // cleanup must not be skipped by an expired spec context
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var err error
	if b.ctr != nil {
		err = b.ctr.Terminate(ctx, testcontainers.StopTimeout(0))
	}
	cli, cerr := b.cli(ctx)
	if cerr != nil {
		return errors.Join(err, cerr)
	}
	if rerr := removeContainer(ctx, cli, b.id); rerr != nil {
		return errors.Join(err, rerr)
	}
	return nil // removed, whatever testcontainers said on the way
}

// removeContainer force-removes one container with its volumes; a
// container that is already gone is not an error.
func removeContainer(ctx context.Context, cli client.APIClient, id string) error {
	_, err := cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) && !strings.Contains(err.Error(), "is already in progress") {
		return err
	}
	return nil
}

// Reap removes every container of run runID (label org.sessionconf.run),
// whatever process started it: call it once all processes are done (e.g.
// in SynchronizedAfterSuite's process-1 function or a DeferCleanup of
// SynchronizedBeforeSuite's first function) and on interrupt. It returns
// the IDs it removed.
func Reap(ctx context.Context, runID string) ([]string, error) {
	if runID == "" {
		return nil, errors.New("redisprov: reap: empty run ID")
	}
	ctx = context.WithoutCancel(ctx)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	d, err := newDockerAPI(ctx, stdlog.New(io.Discard, "", 0))
	if err != nil {
		return nil, fmt.Errorf("redisprov: reap: %w", err)
	}
	defer d.close()
	return reapWhere(ctx, d.cli, func(l map[string]string) bool { return l[LabelRun] == runID },
		LabelRun+"="+runID)
}

// Reap removes this run's containers; see the package function.
func (p *Provider) Reap(ctx context.Context) ([]string, error) {
	if p.kind != KindContainer {
		return nil, nil
	}
	return Reap(ctx, p.cfg.RunID)
}

// reapOrphans removes redis containers of sessionconf runs on this host
// whose creating process is gone (a harness killed with SIGKILL cannot
// clean up after itself).
func reapOrphans(ctx context.Context, cli client.APIClient) ([]string, error) {
	host, _ := os.Hostname()
	return reapWhere(ctx, cli, func(l map[string]string) bool {
		if l[LabelHost] != host {
			return false
		}
		pid, err := strconv.Atoi(l[LabelPID])
		if err != nil || pid <= 0 {
			return false
		}
		return syscall.Kill(pid, 0) == syscall.ESRCH
	}, LabelComponent+"="+componentRedis)
}

func reapWhere(ctx context.Context, cli client.APIClient, match func(map[string]string) bool, label string) ([]string, error) {
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", label),
	})
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, c := range res.Items {
		if c.Labels[LabelComponent] != componentRedis || !match(c.Labels) {
			continue
		}
		if err := removeContainer(ctx, cli, c.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, c.ID)
	}
	return removed, errors.Join(errs...)
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
