// Command refbench measures the reference server with wrk on loopback: the
// authenticated dashboard (GET /organizer/ with a session cookie) and the
// login (POST /organizer/login), with the file store, with one Redis and
// with a Redis Cluster of three masters, and prints req/s, p50 and p99 for
// each, side by side. `make bench` runs it.
//
//	refbench [-duration 10s] [-threads 2] [-connections 32] [-stores filesystem,redis,redis-cluster]
//
// It starts bin/refserver (building it if missing) as a child process per
// store, local redis-servers for the Redis stores (one, or three in
// cluster mode), logs in once to get a cookie, and runs
// `wrk -tN -cN -dN --latency` against each endpoint.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sessionconf/sessionconf/reference/redisserver"
)

const (
	email    = "john.smith@example.com"
	password = "password123"
	userName = "John Smith"
)

// Goal figures, measured by the same method on the project's 2-core
// machines (see the reference's issue).
const goals = `goal (same method, same machine kind): gorilla/sessions FilesystemStore ~38,000 req/s;
scs + Redis ~27,000 req/s (authenticated dashboard)`

type options struct {
	duration    time.Duration
	threads     int
	connections int
	bin         string
	accounts    string
	wrk         string
	stores      []string
	endpoints   []string
	logDir      string
}

type result struct {
	store, endpoint string
	rps             float64
	p50, p99        time.Duration
	errors          string
}

func main() {
	var o options
	var stores, endpoints string
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long wrk runs against each endpoint")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads (-t)")
	flag.IntVar(&o.connections, "connections", 32, "wrk connections (-c)")
	flag.StringVar(&o.bin, "bin", "bin/refserver", "the reference binary (built with go build when missing)")
	flag.StringVar(&o.accounts, "accounts", "", "accounts fixtures (default: the reference's built-in ones, low-cost bcrypt, so login measures sessions more than bcrypt)")
	flag.StringVar(&o.wrk, "wrk", "wrk", "the wrk binary (Debian package wrk)")
	flag.StringVar(&stores, "stores", "filesystem,redis,redis-cluster", "stores to measure: filesystem, redis, redis-cluster")
	flag.StringVar(&endpoints, "endpoints", "dashboard,login", "endpoints to measure: dashboard, login")
	flag.StringVar(&o.logDir, "logs", "", "keep the servers' output in this directory (default: discarded)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "refbench: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	o.stores = strings.Split(stores, ",")
	o.endpoints = strings.Split(endpoints, ",")
	results, err := run(o)
	print(os.Stdout, o, results)
	if err != nil {
		fmt.Fprintf(os.Stderr, "refbench: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) ([]result, error) {
	if _, err := exec.LookPath(o.wrk); err != nil {
		return nil, fmt.Errorf("%s not found (Debian: apt-get install wrk; make bench installs it)", o.wrk)
	}
	if err := ensureBinary(o.bin); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "refbench-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	script := filepath.Join(tmp, "login.lua")
	body := url.Values{"email": {email}, "password": {password}}.Encode()
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n", body)
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return nil, err
	}

	var results []result
	for _, st := range o.stores {
		env := []string{}
		var redis *redisserver.Server
		var clus *cluster
		switch st {
		case "filesystem":
			env = append(env, "SESSION_TYPE=filesystem", "SESSION_FILE_DIR="+filepath.Join(tmp, "sessions-"+strconv.Itoa(len(results))))
		case "redis":
			ctx, cancel := context.WithTimeout(context.Background(), 2*redisserver.StartTimeout)
			redis, err = redisserver.Start(ctx, redisserver.Options{})
			cancel()
			if err != nil {
				return results, err
			}
			env = append(env, "SESSION_TYPE=redis", "REDIS_URL="+redis.URL(0))
		case "redis-cluster":
			ctx, cancel := context.WithTimeout(context.Background(), 6*redisserver.StartTimeout)
			clus, err = startCluster(ctx)
			cancel()
			if err != nil {
				return results, fmt.Errorf("redis-cluster: %w", err)
			}
			env = append(env, "SESSION_TYPE=redis", "REDIS_URL="+clus.url())
		default:
			return results, fmt.Errorf("unknown store %q (want filesystem, redis or redis-cluster)", st)
		}
		rs, err := measureStore(o, st, env, script)
		results = append(results, rs...)
		if redis != nil {
			redis.Close()
		}
		if clus != nil {
			clus.close()
		}
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

func ensureBinary(bin string) error {
	if _, err := os.Stat(bin); err == nil {
		return nil
	}
	fmt.Fprintf(os.Stderr, "refbench: building %s\n", bin)
	cmd := exec.Command("go", "build", "-o", bin, "./reference/cmd/refserver")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// measureStore starts the server with env and runs wrk on each endpoint.
func measureStore(o options, st string, env []string, script string) ([]result, error) {
	srv, err := startServer(o, st, env)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	cookie, err := login(srv.base)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", st, err)
	}
	if err := checkDashboard(srv.base, cookie); err != nil {
		return nil, fmt.Errorf("%s: %v", st, err)
	}
	var results []result
	for _, ep := range o.endpoints {
		var args []string
		var name string
		switch ep {
		case "dashboard":
			name = "GET /organizer/"
			args = []string{"-H", "Cookie: " + cookie, srv.base + "/organizer/"}
		case "login":
			name = "POST /organizer/login"
			args = []string{"-s", script, srv.base + "/organizer/login"}
		default:
			return results, fmt.Errorf("unknown endpoint %q (want dashboard or login)", ep)
		}
		fmt.Fprintf(os.Stderr, "refbench: %s %s for %v\n", st, name, o.duration)
		r, err := runWrk(o, args)
		if err != nil {
			return results, fmt.Errorf("%s %s: %v", st, name, err)
		}
		r.store, r.endpoint = st, name
		results = append(results, r)
	}
	return results, nil
}

type server struct {
	cmd    *exec.Cmd
	base   string
	exited chan struct{}
}

func startServer(o options, st string, env []string) (*server, error) {
	cmd := exec.Command(o.bin)
	cmd.Env = append(os.Environ(), "PORT=0", "HOST=127.0.0.1", "ACCOUNTS_FILE="+o.accounts)
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = io.Discard
	if o.logDir != "" {
		f, err := os.Create(filepath.Join(o.logDir, "refserver-"+st+".log"))
		if err != nil {
			return nil, err
		}
		cmd.Stderr = f
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		cmd.Wait()
		close(s.exited)
	}()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return nil, fmt.Errorf("%s: refserver exited before listening", st)
			}
			if b, ok := strings.CutPrefix(line, "listening on "); ok {
				s.base = b
				go func() {
					for range lines {
					}
				}()
				return s, nil
			}
		case <-timeout:
			s.stop()
			return nil, fmt.Errorf("%s: refserver did not listen within 30s", st)
		}
	}
}

// stop ends the server's process group: SIGTERM, then SIGKILL.
func (s *server) stop() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// login returns the session cookie as "name=value".
func login(base string) (string, error) {
	resp, err := noRedirect.PostForm(base+"/organizer/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("login answered %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", errors.New("login set no cookie")
}

// checkDashboard makes sure the benchmark measures the logged-in page,
// not a redirect.
func checkDashboard(base, cookie string) error {
	req, _ := http.NewRequest(http.MethodGet, base+"/organizer/", nil)
	req.Header.Set("Cookie", cookie)
	resp, err := noRedirect.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), userName) {
		return fmt.Errorf("the dashboard with the login cookie answered %d", resp.StatusCode)
	}
	return nil
}

func runWrk(o options, args []string) (result, error) {
	full := append([]string{
		"-t" + strconv.Itoa(o.threads), "-c" + strconv.Itoa(o.connections),
		"-d" + strconv.Itoa(int(o.duration.Seconds())) + "s", "--latency",
	}, args...)
	out, err := exec.Command(o.wrk, full...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	rpsRE     = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	pctRE     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	non2xxRE  = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses:\s+(\d+)`)
	socketsRE = regexp.MustCompile(`(?m)^\s*Socket errors:\s+(.*)$`)
)

// parseWrk reads req/s, p50, p99 and any errors from wrk's --latency
// output.
func parseWrk(out string) (result, error) {
	var r result
	m := rpsRE.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, m := range pctRE.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if r.p50 == 0 || r.p99 == 0 {
		return r, fmt.Errorf("no latency distribution in wrk's output:\n%s", out)
	}
	var errs []string
	if m := non2xxRE.FindStringSubmatch(out); m != nil {
		errs = append(errs, m[1]+" non-2xx/3xx")
	}
	if m := socketsRE.FindStringSubmatch(out); m != nil {
		errs = append(errs, "socket errors: "+m[1])
	}
	r.errors = strings.Join(errs, "; ")
	return r, nil
}

func print(w io.Writer, o options, results []result) {
	fmt.Fprintf(w, "\nwrk -t%d -c%d -d%v --latency, loopback\n\n", o.threads, o.connections, o.duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "store\tendpoint\treq/s\tp50\tp99\terrors")
	for _, r := range results {
		errs := r.errors
		if errs == "" {
			errs = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\n", r.store, r.endpoint, r.rps, fmtDur(r.p50), fmtDur(r.p99), errs)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n", goals)
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dus", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}
