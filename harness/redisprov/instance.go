package redisprov

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// backend is what differs between providers: control of the server.
type backend interface {
	stop(ctx context.Context) error
	start(ctx context.Context) error // after stop; same address
	pause(ctx context.Context) error
	unpause(ctx context.Context) error
	terminate(ctx context.Context) error
}

// Instance is one Redis server of a run.
type Instance struct {
	prov        *Provider
	kind        Kind
	addr        string   // host:port clients dial; 127.0.0.1 for container and local
	base        *url.URL // scheme, credentials and host of URL(db)
	containerID string
	pid         int
	databases   int
	startup     time.Duration
	owned       bool // started by this process: outage controls allowed
	be          backend

	mu         sync.Mutex
	paused     bool
	stopped    bool
	terminated bool
	clients    []*redis.Client
}

// Kind is the provider name, for reports.
func (i *Instance) Kind() Kind { return i.kind }

// Addr is host:port, e.g. 127.0.0.1:40123 (a container's mapped port).
func (i *Instance) Addr() string { return i.addr }

// URL is the redis:// URL of logical database db, e.g. for a target's REDIS_URL.
func (i *Instance) URL(db int) string {
	u := *i.base
	u.Path = "/" + strconv.Itoa(db)
	return u.String()
}

// Databases is the number of logical databases the server has.
func (i *Instance) Databases() int { return i.databases }

// ContainerID is the Docker container's ID (container provider only).
func (i *Instance) ContainerID() string { return i.containerID }

// StartupTime is how long the first start took until the server answered
// PING through its address (for a container: create + start + ready).
func (i *Instance) StartupTime() time.Duration { return i.startup }

// Owned reports whether this process started the instance (outage controls
// are allowed) rather than attached to it.
func (i *Instance) Owned() bool { return i.owned }

// Provider is the provider the instance came from (rebuilt by Attach), for
// starting more instances of the same kind.
func (i *Instance) Provider() *Provider { return i.prov }

// ClientOptions are the go-redis options Client uses: short timeouts that
// honour context deadlines, so an outage shows as an error, not a hang.
func (i *Instance) ClientOptions(db int) *redis.Options {
	o, err := redis.ParseURL(i.URL(db))
	if err != nil { // URL was validated when the instance was made
		panic(fmt.Sprintf("redisprov: bad URL %q: %v", i.URL(db), err))
	}
	o.DialTimeout = 2 * time.Second
	o.ReadTimeout = 2 * time.Second
	o.WriteTimeout = 2 * time.Second
	o.ContextTimeoutEnabled = true
	o.MaxRetries = 1
	o.PoolSize = 4
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return o
}

// Client returns a go-redis client of database db (a redis.UniversalClient).
// The instance closes it on Terminate; closing it earlier is fine too.
func (i *Instance) Client(db int) *redis.Client {
	c := redis.NewClient(i.ClientOptions(db))
	i.mu.Lock()
	i.clients = append(i.clients, c)
	i.mu.Unlock()
	return c
}

// Ping checks the server answers within ctx.
func (i *Instance) Ping(ctx context.Context) error {
	c := redis.NewClient(i.ClientOptions(0))
	defer c.Close()
	return c.Ping(ctx).Err()
}

// DBs returns this process's allocator of logical databases; see
// NewDBAllocator.
func (i *Instance) DBs(process, total int) (*DBAllocator, error) {
	return NewDBAllocator(i.databases, process, total)
}

// FreshDB takes the next database of a and empties it (a database is reused
// only after its process's range wrapped around, i.e. by a later spec of the
// same process, since a Ginkgo process runs its specs one at a time).
func (i *Instance) FreshDB(ctx context.Context, a *DBAllocator) (int, error) {
	db := a.Next()
	o := i.ClientOptions(db)
	o.PoolSize = 1
	c := redis.NewClient(o)
	defer c.Close()
	if err := c.FlushDB(ctx).Err(); err != nil {
		return 0, fmt.Errorf("redisprov: flush db %d on %s: %w", db, i.addr, err)
	}
	return db, nil
}

func (i *Instance) control(op string) error {
	if i.kind == KindExternal {
		return fmt.Errorf("redisprov: %s %s: %w", op, i.addr, ErrUnsupported)
	}
	if !i.owned {
		return fmt.Errorf("redisprov: %s %s: %w", op, i.addr, ErrNotOwner)
	}
	if i.terminated {
		return fmt.Errorf("redisprov: %s %s: instance terminated", op, i.addr)
	}
	return nil
}

// Stop shuts the server down (an outage: connections are refused). Start
// brings it back on the same address with empty data (persistence is off).
func (i *Instance) Stop(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.control("stop"); err != nil {
		return err
	}
	if i.stopped {
		return nil
	}
	if i.paused {
		if err := i.be.unpause(ctx); err != nil {
			return err
		}
		i.paused = false
	}
	if err := i.be.stop(ctx); err != nil {
		return fmt.Errorf("redisprov: stop %s: %w", i.addr, err)
	}
	i.stopped = true
	return nil
}

// Start restarts a stopped server on the same address and waits until it
// answers PING there, so URLs handed out before stay valid.
func (i *Instance) Start(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.control("start"); err != nil {
		return err
	}
	if !i.stopped {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, i.prov.cfg.StartTimeout)
	defer cancel()
	if err := i.be.start(ctx); err != nil {
		return fmt.Errorf("redisprov: start %s: %w", i.addr, err)
	}
	i.stopped = false
	return nil
}

// Pause freezes the server: connections are accepted by the kernel but
// nothing answers, so reads time out (the nastiest outage).
func (i *Instance) Pause(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.control("pause"); err != nil {
		return err
	}
	if i.stopped {
		return fmt.Errorf("redisprov: pause %s: server is stopped", i.addr)
	}
	if i.paused {
		return nil
	}
	if err := i.be.pause(ctx); err != nil {
		return fmt.Errorf("redisprov: pause %s: %w", i.addr, err)
	}
	i.paused = true
	return nil
}

// Unpause lets a paused server run again.
func (i *Instance) Unpause(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.control("unpause"); err != nil {
		return err
	}
	if !i.paused {
		return nil
	}
	if err := i.be.unpause(ctx); err != nil {
		return fmt.Errorf("redisprov: unpause %s: %w", i.addr, err)
	}
	i.paused = false
	return nil
}

// Terminate closes the instance's clients and, when this process started
// it, removes the server (container removed with its volumes, process killed,
// directory deleted). An attached instance only closes its clients: its owner
// terminates it. Safe to call twice.
func (i *Instance) Terminate(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.terminated {
		return nil
	}
	i.terminated = true
	var errs []error
	for _, c := range i.clients {
		if err := c.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			errs = append(errs, err)
		}
	}
	i.clients = nil
	if i.owned && i.be != nil {
		if i.paused {
			i.be.unpause(ctx) // a frozen server may not stop on a signal
		}
		if err := i.be.terminate(ctx); err != nil {
			errs = append(errs, fmt.Errorf("redisprov: terminate %s: %w", i.addr, err))
		}
	}
	if i.prov != nil {
		i.prov.forget(i)
	}
	return errors.Join(errs...)
}

// Descriptor is the serialisable form of an instance and its provider: what
// Ginkgo's SynchronizedBeforeSuite passes from process 1 to the others.
type Descriptor struct {
	Kind         Kind          `json:"kind"`
	Addr         string        `json:"addr"`
	URL          string        `json:"url"` // base URL (db 0); may hold credentials (external)
	ContainerID  string        `json:"container_id,omitempty"`
	PID          int           `json:"pid,omitempty"`
	Databases    int           `json:"databases"`
	StartupTime  time.Duration `json:"startup_ns"`
	RunID        string        `json:"run_id"`
	Image        string        `json:"image,omitempty"`
	Reason       string        `json:"reason"`
	Engine       string        `json:"engine,omitempty"`
	StartTimeout time.Duration `json:"start_timeout_ns"`
	ImageBuild   time.Duration `json:"image_build_ns,omitempty"`
}

// Descriptor describes the instance for Attach.
func (i *Instance) Descriptor() Descriptor {
	i.mu.Lock()
	defer i.mu.Unlock()
	if lb, ok := i.be.(localBackend); ok { // a restart makes a new process
		i.pid = lb.s.PID()
	}
	d := Descriptor{
		Kind: i.kind, Addr: i.addr, URL: i.URL(0), ContainerID: i.containerID, PID: i.pid,
		Databases: i.databases, StartupTime: i.startup,
	}
	if p := i.prov; p != nil {
		pd := p.describe()
		d.RunID, d.Image, d.Reason, d.Engine, d.StartTimeout, d.ImageBuild = pd.RunID, pd.Image, pd.Reason, pd.Engine, pd.StartTimeout, pd.ImageBuild
	}
	return d
}

// Marshal is Descriptor as JSON.
func (i *Instance) Marshal() ([]byte, error) { return json.Marshal(i.Descriptor()) }

// MustMarshal is Marshal for SynchronizedBeforeSuite (it cannot fail).
func (i *Instance) MustMarshal() []byte {
	b, err := i.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

// Attach connects to an instance another process started, from its
// Marshal bytes, and checks it answers. The instance's Provider() is
// rebuilt from the descriptor without deciding again, so this process can
// start its own instances (outage specs) of the same kind and image.
func Attach(ctx context.Context, data []byte) (*Instance, error) {
	var d Descriptor
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("redisprov: attach: bad descriptor: %w", err)
	}
	p, err := ProviderDescriptor{
		Kind: d.Kind, RunID: d.RunID, Image: d.Image, Reason: d.Reason, Engine: d.Engine,
		StartTimeout: d.StartTimeout, ImageBuild: d.ImageBuild, Databases: d.Databases,
	}.rebuild(d.URL)
	if err != nil {
		return nil, fmt.Errorf("redisprov: attach: %w", err)
	}
	base, err := parseURL(d.URL)
	if err != nil {
		return nil, fmt.Errorf("redisprov: attach: %w", err)
	}
	inst := &Instance{
		prov: p, kind: d.Kind, addr: d.Addr, base: base, containerID: d.ContainerID, pid: d.PID,
		databases: d.Databases, startup: d.StartupTime,
	}
	p.first = inst
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := inst.Ping(pctx); err != nil {
		return nil, fmt.Errorf("redisprov: attach to %s redis on %s: %w", d.Kind, d.Addr, err)
	}
	return inst, nil
}

// DBAllocator hands out logical databases to the specs of one Ginkgo
// process. Database 0 is never handed out; databases 1..N-1 are split into
// equal ranges, one per process, so processes never share a database.
type DBAllocator struct {
	mu                 sync.Mutex
	first, count, next int
}

// NewDBAllocator: databases is the server's count, process is 1-based
// (GinkgoParallelProcess()), total the number of processes
// (GinkgoConfiguration().ParallelTotal; <= 0 means 1, e.g. plain go test).
func NewDBAllocator(databases, process, total int) (*DBAllocator, error) {
	if total <= 0 {
		total = 1
	}
	if process < 1 || process > total {
		return nil, fmt.Errorf("redisprov: process %d out of 1..%d", process, total)
	}
	per := (databases - 1) / total
	if per < 1 {
		return nil, fmt.Errorf("redisprov: %d databases cannot give each of %d processes its own (use fewer processes or key prefixes)", databases, total)
	}
	return &DBAllocator{first: 1 + (process-1)*per, count: per}, nil
}

// Next returns the next database of the range, wrapping around.
func (a *DBAllocator) Next() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	db := a.first + a.next
	a.next = (a.next + 1) % a.count
	return db
}

// Range is the first database and the number of databases of the range.
func (a *DBAllocator) Range() (first, count int) { return a.first, a.count }

// parseURL checks a redis URL and returns it as the base of URL(db).
func parseURL(raw string) (*url.URL, error) {
	if _, err := redis.ParseURL(raw); err != nil {
		return nil, fmt.Errorf("bad Redis URL %s: %w", redactURL(raw), err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	u.Path, u.RawPath = "", ""
	return u, nil
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

func pingURL(ctx context.Context, raw string) error {
	o, err := redis.ParseURL(raw)
	if err != nil {
		return err
	}
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c := redis.NewClient(o)
	defer c.Close()
	return c.Ping(ctx).Err()
}

// rawPing speaks just enough RESP to see the server answer through addr
// (a Docker port proxy accepts connections before Redis listens, so a dial
// alone proves nothing).
func rawPing(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 500 * time.Millisecond}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	c.SetDeadline(deadline)
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected answer %q", strings.TrimSpace(line))
	}
	return nil
}

// waitReady polls rawPing until it succeeds, ctx ends, or dead reports the
// server gone for good.
func waitReady(ctx context.Context, addr string, dead func(context.Context) error) error {
	var last error
	for n := 0; ; n++ {
		if last = rawPing(ctx, addr); last == nil {
			return nil
		}
		if dead != nil && n%10 == 9 {
			if err := dead(ctx); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no PING answer on %s (%v): %w", addr, last, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
