package instance

import (
	"os"
	"path/filepath"
	"testing"
)

// A port handed out by one harness process is not handed out by another:
// the reservation is a flock, which a second open file description (as
// another process would have) cannot take.
func TestReservePortIsExclusiveAcrossOpenFiles(t *testing.T) {
	old := PortLockDir
	PortLockDir = t.TempDir()
	defer func() { PortLockDir = old }()

	if !reservePort(20001) {
		t.Fatal("a fresh port could not be reserved")
	}
	if reservePort(20001) {
		t.Error("a reserved port was reserved again")
	}
	if !reservePort(20002) {
		t.Error("another port could not be reserved")
	}
	if _, err := os.Stat(filepath.Join(PortLockDir, "20001")); err != nil {
		t.Errorf("no lock file: %v", err)
	}
}

func TestFreePortsAreDistinctAndReserved(t *testing.T) {
	seen := map[int]bool{}
	for range 20 {
		p, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if reservePort(p) {
			t.Errorf("port %d was handed out but is not reserved", p)
		}
	}
}
