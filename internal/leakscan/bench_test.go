package leakscan

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"keywarden/internal/secretvalue"
)

// BenchmarkFind scans this repository's Go sources (a few MB of ordinary
// text, with a value planted every 64 KiB) and compares find — a search
// for "kw", then the pattern anchored there — with the naive reference, the
// same pattern run over the whole text as gitleaks and TruffleHog run
// theirs. Both run interleaved in one loop; the ratio is reference time
// over find time.
func BenchmarkFind(b *testing.B) {
	var text bytes.Buffer
	filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			data, _ := os.ReadFile(path)
			text.Write(data)
		}
		return nil
	})
	data := text.Bytes()
	var planted []byte
	want := 0
	for i := 0; i < len(data); i += 64 << 10 {
		end := min(i+64<<10, len(data))
		planted = append(append(planted, data[i:end]...), " "+secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()+"\n"...)
		want++
	}
	ref := regexp.MustCompile(Pattern(kinds[0]))
	var tFind, tRef time.Duration
	b.SetBytes(int64(len(planted)))
	for b.Loop() {
		start := time.Now()
		n := 0
		find(planted, func(match) { n++ })
		tFind += time.Since(start)
		start = time.Now()
		m := len(ref.FindAllIndex(planted, -1))
		tRef += time.Since(start)
		if n != want || m < want {
			b.Fatalf("found %d and %d, want %d", n, m, want)
		}
	}
	mb := float64(len(planted)) * float64(b.N) / 1e6
	b.ReportMetric(mb/tFind.Seconds(), "find-MB/s")
	b.ReportMetric(mb/tRef.Seconds(), "ref-MB/s")
	b.ReportMetric(tRef.Seconds()/tFind.Seconds(), "ratio")
}
