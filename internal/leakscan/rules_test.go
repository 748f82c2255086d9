package leakscan_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"keywarden/internal/leakscan"
)

var update = flag.Bool("update", false, "rewrite contrib/scanners from leakscan's patterns")

const rulesDir = "../../contrib/scanners"

const generated = `Generated from internal/leakscan by
#   go test ./internal/leakscan -run TestShippedRules -update
# Edit the patterns there, not here. docs/leaks.md explains them.`

func camel(id string) string {
	var b strings.Builder
	for _, w := range strings.Split(id, "_") {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

func gitleaksRules() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `# Gitleaks rules for Keywarden values. %s
#
# Gitleaks cannot compute a value's CRC32 checksum, so it reports everything
# of the right shape, look-alikes included: confirm with keywarden scan.
#
#   gitleaks git -c contrib/scanners/gitleaks.toml      (history)
#   gitleaks dir -c contrib/scanners/gitleaks.toml .    (files)
#
# To keep gitleaks' default rules too, copy the [[rules]] below into your
# .gitleaks.toml, which has [extend] useDefault = true (a file can extend
# only one other).

title = "Keywarden values"
`, generated)
	for _, k := range leakscan.Kinds() {
		fmt.Fprintf(&b, `
[[rules]]
id = %q
description = %q
regex = '''%s'''
keywords = [%q]
tags = ["keywarden", %q]
`, k.RuleID(), "Keywarden "+k.Name+" ("+k.Prefix+"): "+k.About, leakscan.Pattern(k), k.Prefix, strings.ReplaceAll(k.ID, "_", "-"))
	}
	return b.Bytes()
}

func singleQuoted(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func truffleHogConfig() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `# TruffleHog custom detectors for Keywarden values. %s
#
# A custom detector matches a regular expression; it cannot check a value's
# CRC32 checksum, so every match is "unverified" and look-alikes are
# reported too: confirm with keywarden scan.
#
#   trufflehog filesystem --config contrib/scanners/trufflehog.yaml .
#   trufflehog git --config contrib/scanners/trufflehog.yaml file://.

detectors:
`, generated)
	for _, k := range leakscan.Kinds() {
		fmt.Fprintf(&b, `  - name: Keywarden%s
    keywords:
      - %s
    regex:
      value: %s
`, camel(k.ID), k.Prefix, singleQuoted(leakscan.Pattern(k)))
	}
	return b.Bytes()
}

// GitHub's before/after defaults are \A|[^0-9A-Za-z]; an underscore is a
// word character to \b, so ours leave it out too.
const githubBefore, githubAfter = `\A|[^0-9A-Za-z_]`, `\z|[^0-9A-Za-z_]`

func githubPatterns() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `# GitHub secret scanning custom patterns for Keywarden values.
# %s
#
# Enter each in Settings → Advanced Security → Custom patterns → New
# pattern (More options for the before and after fields). These patterns
# find whole values only, not ones split across lines (the split-tolerant
# pattern of gitleaks.toml is untested on GitHub's engine). GitHub cannot
# check the CRC32 checksum either: confirm with keywarden scan.
`, strings.ReplaceAll(generated, "\n#   ", " "))
	for _, k := range leakscan.Kinds() {
		fmt.Fprintf(&b, `
Pattern name:   Keywarden %s
Secret format:  %s
Before secret:  %s
After secret:   %s
`, k.Name, leakscan.ContiguousPattern(k), githubBefore, githubAfter)
	}
	return b.Bytes()
}

// TestShippedRules keeps contrib/scanners equal to what leakscan's
// patterns render; -update rewrites the files.
func TestShippedRules(t *testing.T) {
	for name, content := range map[string][]byte{
		"gitleaks.toml":              gitleaksRules(),
		"trufflehog.yaml":            truffleHogConfig(),
		"github-custom-patterns.txt": githubPatterns(),
	} {
		path := filepath.Join(rulesDir, name)
		if *update {
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestShippedRules -update)", err)
		}
		if !bytes.Equal(have, content) {
			t.Errorf("%s differs from leakscan's patterns; run go test ./internal/leakscan -run TestShippedRules -update and review the diff", path)
		}
	}
	for _, k := range leakscan.Kinds() {
		if strings.Contains(leakscan.Pattern(k), "'''") {
			t.Errorf("%s: the pattern cannot sit in a TOML literal string", k.ID)
		}
	}
}

type truffleHogDetector struct {
	Name     string
	Keywords []string
	Regex    map[string]string
}

// TestTruffleHogRegexes runs the shipped detectors' keywords and regular
// expressions, with Go's regexp as TruffleHog does, over every file of the
// fixture. TruffleHog itself is not in the Go module proxy, so this checks
// the configuration TruffleHog would apply, not TruffleHog.
func TestTruffleHogRegexes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(rulesDir, "trufflehog.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct{ Detectors []truffleHogDetector }
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Detectors) != len(leakscan.Kinds()) {
		t.Fatalf("%d detectors, want one per kind", len(cfg.Detectors))
	}
	f := newFixture(t)
	var found []string
	for _, path := range f.files(t) {
		data, _ := os.ReadFile(filepath.Join(f.dir, path))
		if bytes.IndexByte(data, 0) >= 0 {
			continue // binary: what each tool does with those is its own
		}
		for _, d := range cfg.Detectors {
			if !containsAny(strings.ToLower(string(data)), d.Keywords) {
				continue
			}
			re := regexp.MustCompile(d.Regex["value"])
			for _, m := range re.FindAllString(string(data), -1) {
				found = append(found, path+" "+strip(m))
			}
		}
	}
	checkPatternOnly(t, f, found, func(p planted) bool { return !p.gone && !p.binary })
}

// TestGitHubPatterns runs the shipped GitHub patterns with Go's regexp,
// which agrees with GitHub's Hyperscan on these constructs: whole values of
// the right shape are found, split ones are not.
func TestGitHubPatterns(t *testing.T) {
	f := newFixture(t)
	var found []string
	for _, path := range f.files(t) {
		data, _ := os.ReadFile(filepath.Join(f.dir, path))
		if bytes.IndexByte(data, 0) >= 0 {
			continue
		}
		for _, k := range leakscan.Kinds() {
			re := regexp.MustCompile(`(?:` + githubBefore + `)(` + leakscan.ContiguousPattern(k) + `)(?:` + githubAfter + `)`)
			// Overlapping matches: GitHub's before and after are not consumed.
			for i := 0; i <= len(data); {
				m := re.FindSubmatchIndex(data[i:])
				if m == nil {
					break
				}
				found = append(found, path+" "+string(data[i+m[2]:i+m[3]]))
				i += m[3]
			}
		}
	}
	checkPatternOnly(t, f, found, func(p planted) bool { return !p.gone && !p.binary && isWhole(p.paste) })
}

func isWhole(paste string) bool {
	for _, p := range contiguous {
		if p.name == paste {
			return true
		}
	}
	return false
}

// checkPatternOnly checks what a scanner without the checksum finds: every
// planted value of the right shape that expect selects, real or
// look-alike, and nothing else.
func checkPatternOnly(t *testing.T, f *fixture, found []string, expect func(planted) bool) {
	t.Helper()
	var want []string
	for _, p := range f.planted {
		if p.shaped && expect(p) {
			want = append(want, p.path+" "+p.value)
		}
	}
	diff(t, sortedCopy(found), sortedCopy(want))
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// strip drops the separators from a match, as keywarden scan does.
func strip(m string) string {
	return regexp.MustCompile(`[^0-9A-Za-z_]`).ReplaceAllString(m, "")
}
