package instance

import "testing"

// A port handed out by one harness process is not handed out by another:
// the reservation is an abstract socket, which only one holder can bind.
func TestReservePortIsExclusive(t *testing.T) {
	if !reservePort(20001) {
		t.Fatal("a fresh port could not be reserved")
	}
	if reservePort(20001) {
		t.Error("a reserved port was reserved again")
	}
	if !reservePort(20002) {
		t.Error("another port could not be reserved")
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
