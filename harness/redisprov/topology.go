package redisprov

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// topology is what a Sentinel and a Cluster share: their nodes, the
// directory of local nodes, whether this process controls them, the
// clients handed out, and clean-up.
type topology struct {
	prov    *Provider
	kind    Kind
	name    string // "sentinel" or "cluster": container labels and names, directories, errors
	seq     int64  // tells this process's topologies apart in container names
	dir     string // local provider: the parent of the nodes' directories, removed by terminate
	owned   bool   // started by this process: outage controls allowed
	startup time.Duration

	// ctl serialises the operations that change nodes (kill, stop,
	// start, terminate): each waits for the servers, so they take seconds.
	ctl sync.Mutex

	mu         sync.Mutex // the fields below
	nodes      []*node
	probes     map[string]*redis.Client // direct clients of nodes, for checks
	clients    []io.Closer              // handed out; closed by terminate
	terminated bool
}

// newTopology prepares a topology of p's kind; the external provider
// cannot start servers.
func (p *Provider) newTopology(name string) (*topology, error) {
	switch p.kind {
	case KindContainer, KindLocal:
	default:
		return nil, fmt.Errorf("redisprov: a %s needs servers the harness starts: %w", name, ErrUnsupported)
	}
	t := &topology{prov: p, kind: p.kind, name: name, seq: containerSeq.Add(1), owned: true}
	if p.kind == KindLocal {
		dir, err := os.MkdirTemp("", "sessionconf-"+name+"-*")
		if err != nil {
			return nil, fmt.Errorf("redisprov: %s directory: %w", name, err)
		}
		t.dir = dir
	}
	p.mu.Lock()
	p.topologies = append(p.topologies, t)
	p.mu.Unlock()
	return t, nil
}

// attachedTopology is a topology another process started.
func attachedTopology(p *Provider, name string, startup time.Duration, nodes []NodeDescriptor) *topology {
	t := &topology{prov: p, kind: p.kind, name: name, startup: startup}
	for _, d := range nodes {
		t.nodes = append(t.nodes, attachedNode(d))
	}
	return t
}

// startNodes starts specs at the same time and returns their nodes in
// order. Every node that started belongs to t (in the order of specs), so
// terminate removes it even when another one failed.
func (t *topology) startNodes(ctx context.Context, specs ...nodeSpec) ([]*node, error) {
	nodes := make([]*node, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Go(func() {
			var n *node
			var err error
			if t.kind == KindContainer {
				n, err = t.startContainerNode(ctx, spec)
			} else {
				n, err = t.startLocalNode(ctx, spec)
			}
			if err != nil {
				errs[i] = err
				return
			}
			nodes[i] = n
		})
	}
	wg.Wait()
	t.mu.Lock()
	for _, n := range nodes {
		if n != nil {
			t.nodes = append(t.nodes, n)
		}
	}
	t.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return nodes, nil
}

// probe returns a direct client of the node at addr (made once).
func (t *topology) probe(addr string) *redis.Client {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.probes == nil {
		t.probes = map[string]*redis.Client{}
	}
	c, ok := t.probes[addr]
	if !ok {
		c = redis.NewClient(nodeClientOptions(addr))
		t.probes[addr] = c
	}
	return c
}

// track closes c when the topology is terminated.
func (t *topology) track(c io.Closer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clients = append(t.clients, c)
}

// control checks that op may change the topology's servers; call it with
// ctl held, so terminate cannot come between the check and the change.
func (t *topology) control(op string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.owned {
		return fmt.Errorf("redisprov: %s %s: %w", op, t.name, ErrNotOwner)
	}
	if t.terminated {
		return fmt.Errorf("redisprov: %s %s: terminated", op, t.name)
	}
	return nil
}

// nodeAt finds the node listening on addr.
func (t *topology) nodeAt(addr string) (*node, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range t.nodes {
		if n.addr == addr {
			return n, nil
		}
	}
	var have []string
	for _, n := range t.nodes {
		have = append(have, n.name+"="+n.addr)
	}
	return nil, fmt.Errorf("redisprov: no node of the %s on %s (nodes: %v)", t.name, addr, have)
}

// describeNodes waits for an operation on the nodes to end: a local
// node's PID changes when it starts again.
func (t *topology) describeNodes() []NodeDescriptor {
	t.ctl.Lock()
	defer t.ctl.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	var ds []NodeDescriptor
	for _, n := range t.nodes {
		ds = append(ds, n.describe())
	}
	return ds
}

// announce prints the provider's decision line if nothing did before.
func (t *topology) announce(what string) {
	p := t.prov
	p.mu.Lock()
	first := !p.announced
	p.announced = true
	p.mu.Unlock()
	if first {
		fmt.Fprintf(p.cfg.Out, "redis: %s; %s, ready in %v (run %s)\n", p.reason, what, t.startup.Round(time.Millisecond), p.cfg.RunID)
	}
}

// terminate closes the clients and, when this process started the
// topology, removes every node (containers with their volumes, processes
// by their process group) and the nodes' directory. Safe to call twice.
func (t *topology) terminate(ctx context.Context) error {
	t.ctl.Lock()
	defer t.ctl.Unlock()
	t.mu.Lock()
	if t.terminated {
		t.mu.Unlock()
		return nil
	}
	t.terminated = true
	closers := t.clients
	for _, c := range t.probes {
		closers = append(closers, c)
	}
	nodes := t.nodes
	t.clients, t.probes = nil, nil
	t.mu.Unlock()

	var errs []error
	for _, c := range closers {
		if err := c.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if t.owned {
		ctx = context.WithoutCancel(ctx) // clean-up must not be skipped by an expired spec context
		nodeErrs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, n := range nodes {
			if n.be == nil {
				continue
			}
			wg.Go(func() {
				if err := n.be.terminate(ctx); err != nil {
					nodeErrs[i] = fmt.Errorf("%s on %s: %w", n.name, n.addr, err)
				}
			})
		}
		wg.Wait()
		errs = append(errs, nodeErrs...)
		if t.dir != "" {
			if err := os.RemoveAll(t.dir); err != nil {
				errs = append(errs, err)
			}
		}
	}
	t.prov.forgetTopology(t)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("redisprov: terminate %s: %w", t.name, err)
	}
	return nil
}

func (p *Provider) forgetTopology(t *topology) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.topologies {
		if x == t {
			p.topologies = append(p.topologies[:i], p.topologies[i+1:]...)
			return
		}
	}
}
