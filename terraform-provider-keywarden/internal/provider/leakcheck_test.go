package provider_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestLeakCheckFinds proves the search of plans and states can fail: a
// value planted in plain text or base64 is found, and a search with
// nothing to search complains.
func TestLeakCheckFinds(t *testing.T) {
	const value = "kws_planted0123456789abcdefghijklmnopqrstuvwxyzAB"
	for name, doc := range map[string]string{
		"plain":     `{"values":{"x":"` + value + `"}}`,
		"base64":    `{"x":"` + base64.StdEncoding.EncodeToString([]byte(value)) + `"}`,
		"base64url": base64.RawURLEncoding.EncodeToString([]byte(value)),
	} {
		l := &leakCheck{}
		l.add("a planted secret", value)
		l.record("plan", "p", []byte(doc))
		l.record("state", "s", []byte(`{}`))
		f := l.findings()
		if len(f) != 1 || !strings.Contains(f[0], "a planted secret") {
			t.Errorf("%s: findings %q, want the planted secret", name, f)
		}
	}
	l := &leakCheck{}
	l.add("a secret", value)
	l.record("plan", "p", []byte(`{}`))
	if f := l.findings(); len(f) != 1 || !strings.Contains(f[0], "too little") {
		t.Errorf("a search without a state: findings %q", f)
	}
}
