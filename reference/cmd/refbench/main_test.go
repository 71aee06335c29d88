package main

import (
	"testing"
	"time"
)

const sampleWrk = `Running 5s test @ http://127.0.0.1:5123/organizer/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.26ms    6.13ms  60.00ms   85.61%
    Req/Sec     9.88k     1.03k   11.36k    78.00%
  Latency Distribution
     50%  812.00us
     75%    6.39ms
     90%   12.82ms
     99%   26.14ms
  98405 requests in 5.01s, 54.15MB read
  Non-2xx or 3xx responses: 7
Requests/sec:  19637.63
Transfer/sec:     10.81MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(sampleWrk)
	if err != nil {
		t.Fatal(err)
	}
	if r.rps != 19637.63 || r.p50 != 812*time.Microsecond || r.p99 != 26140*time.Microsecond {
		t.Errorf("parsed %+v", r)
	}
	if r.errors != "7 non-2xx/3xx" {
		t.Errorf("errors %q", r.errors)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("parseWrk accepted output without figures")
	}
}
