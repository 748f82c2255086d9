package loadbench

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: values below 2^subBits
// nanoseconds are counted exactly, larger ones in buckets 2^-(subBits-1)
// of their value wide, so a reported quantile is within 1% of the true
// one.
const (
	subBits    = 7
	subCount   = 1 << subBits // 128
	halfCount  = subCount / 2 // 64
	maxShift   = 64 - subBits // for the largest uint64
	numBuckets = (maxShift + 2) * halfCount
)

// histogram counts latencies in log-linear buckets, like an HDR histogram:
// bounded memory whatever the number of requests, and merging is adding.
// It is not safe for concurrent use; each worker keeps its own.
type histogram struct {
	counts [numBuckets]uint64
	n      uint64
	max    time.Duration
	sum    time.Duration
}

// bucketOf returns the bucket index of v nanoseconds.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits // v>>shift is in [64, 127]
	return shift*halfCount + int(v>>shift)
}

// bucketValue returns the midpoint of bucket i in nanoseconds.
func bucketValue(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	shift := i/halfCount - 1
	mant := uint64(i - shift*halfCount)
	lo := mant << shift
	return lo + (uint64(1)<<shift-1)/2
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.sum += d
	if d > h.max {
		h.max = d
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the latency below or at which a fraction q of the
// recorded values lie (the nearest-rank definition), 0 when empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	rank = min(rank, h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketValue(i)), h.max)
		}
	}
	return h.max
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}
