// Package entropy estimates how many random bits a set of session IDs
// carries, from the IDs alone: the sum over character positions of the
// position's Shannon entropy, with the Miller-Madow correction for the
// bias of small samples. Constant positions (a UUID's version nibble, a
// fixed prefix) contribute nothing, and time-linked positions little, so a
// long ID that is mostly a timestamp scores low.
package entropy

import (
	"math"
	"slices"
)

// Estimate is the result for a sample.
type Estimate struct {
	Samples    int
	Distinct   int
	Length     int     // the shortest ID's length; longer IDs are cut to it
	Bits       float64 // estimated entropy per ID
	Duplicates []string
}

// Of estimates the entropy of ids.
func Of(ids []string) Estimate {
	e := Estimate{Samples: len(ids)}
	if len(ids) == 0 {
		return e
	}
	seen := map[string]bool{}
	e.Length = len(ids[0])
	for _, id := range ids {
		if seen[id] && !slices.Contains(e.Duplicates, id) {
			e.Duplicates = append(e.Duplicates, id)
		}
		seen[id] = true
		e.Length = min(e.Length, len(id))
	}
	e.Distinct = len(seen)
	n := float64(len(ids))
	for pos := range e.Length {
		counts := map[byte]int{}
		for _, id := range ids {
			counts[id[pos]]++
		}
		if len(counts) < 2 {
			continue
		}
		h := 0.0
		for _, c := range counts {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
		h += float64(len(counts)-1) / (2 * n * math.Ln2) // Miller-Madow
		e.Bits += min(h, math.Log2(n))
	}
	return e
}
