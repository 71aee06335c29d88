package redisprov

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Labels that tell a topology's containers apart in `docker ps` (Reap
// needs only LabelRun).
const (
	LabelTopology = "org.sessionconf.topology" // "sentinel" or "cluster"
	LabelNode     = "org.sessionconf.node"     // the node's name: "redis-1", "sentinel-2", ...
)

// hostNetwork puts a container into the host's network namespace, where
// the node binds 127.0.0.1 itself. With Docker's bridge and published
// ports a node would know itself, and tell its peers and clients, by its
// container IP, which the host cannot dial; announcing 127.0.0.1 instead
// would make every node dial its own loopback when it meant a peer. On the
// host's network one address serves nodes, Sentinels and the target alike.
func hostNetwork(hc *container.HostConfig) { hc.NetworkMode = "host" }

// startContainerNode runs spec as a container of the image on the host's
// network and returns once it answers PING on 127.0.0.1:port.
func (t *topology) startContainerNode(ctx context.Context, spec nodeSpec) (*node, error) {
	p := t.prov
	d, err := p.dockerAPI(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker engine: %w", err)
	}
	addr := loopback(spec.port)
	labels := p.containerLabels()
	labels[LabelTopology], labels[LabelNode] = t.name, spec.name

	var args []string
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLabels(labels),
		testcontainers.WithName(fmt.Sprintf("sessionconf-redis-%s-%d-%d-%s", p.cfg.RunID, os.Getpid(), t.seq, spec.name)),
		testcontainers.WithLogger(p.tcLogger()),
		testcontainers.WithHostConfigModifier(hostNetwork),
		testcontainers.WithWaitStrategy(wait.ForNop(func(ctx context.Context, st wait.StrategyTarget) error {
			return waitReady(ctx, addr, func(ctx context.Context) error { return targetDead(ctx, st) })
		})),
	}
	if spec.config != "" {
		// The image's working directory is /data, writable by its root user:
		// a Sentinel rewrites its file there (a temporary file, then rename).
		path := "/data/" + configFileName
		args = append(args, path)
		opts = append(opts, testcontainers.WithFiles(testcontainers.ContainerFile{
			Reader: strings.NewReader(spec.config), ContainerFilePath: path, FileMode: 0o644,
		}))
	}
	args = append(args,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(spec.port),
		"--protected-mode", "no", "--save", "", "--appendonly", "no",
		"--databases", strconv.Itoa(p.cfg.Databases),
	)
	args = append(args, spec.args...)
	opts = append(opts, testcontainers.WithCmd(args...))

	ctr, err := testcontainers.Run(ctx, p.cfg.Image, opts...)
	if err != nil {
		if ctr != nil {
			removeContainer(context.WithoutCancel(ctx), d.cli, ctr.GetContainerID())
		}
		return nil, fmt.Errorf("%s container on %s: %w", spec.name, addr, err)
	}
	id := ctr.GetContainerID()
	return &node{
		name: spec.name, addr: addr, busPort: spec.busPort, containerID: id,
		be: &containerBackend{p: p, id: id, addr: addr, ctr: ctr},
	}, nil
}

// kill sends SIGKILL to the container's redis-server (its PID 1) and waits
// until the engine reports the container exited.
func (b *containerBackend) kill(ctx context.Context) error {
	cli, err := b.cli(ctx)
	if err != nil {
		return err
	}
	if _, err := cli.ContainerKill(ctx, b.id, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return err
	}
	return pollUntil(ctx, "container "+shortID(b.id)+" exits after SIGKILL", func(ctx context.Context) error {
		res, err := cli.ContainerInspect(ctx, b.id, client.ContainerInspectOptions{})
		if err != nil {
			return err
		}
		if st := res.Container.State; st != nil && st.Running {
			return fmt.Errorf("still %s", st.Status)
		}
		return nil
	})
}

func (b *containerBackend) currentPID() int { return 0 }
