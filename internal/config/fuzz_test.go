package config_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"keywarden/internal/config"
)

// loadYAML loads doc as the configuration file, written in dir, with no
// flags or environment.
func loadYAML(t *testing.T, dir string, doc []byte) (config.Config, error) {
	path := filepath.Join(dir, "keywarden.yaml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	l := config.Register(pflag.NewFlagSet("fuzz", pflag.ContinueOnError))
	return l.Load(func(name string) string {
		if name == "KEYWARDEN_CONFIG" {
			return path
		}
		return ""
	})
}

// FuzzConfigFile feeds arbitrary YAML to the configuration loader: it
// never panics, what it accepts is valid, and writing an accepted
// configuration out and loading it again gives the same configuration.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		"listen: 127.0.0.1:8080\ndata_dir: /var/lib/keywarden\nlog_level: info\nshutdown_timeout: 30s\n",
		"database: postgres://kw@db/kw\npublic_url: https://kw.example.com\nsigning_algorithm: EdDSA\n",
		"webhook_timeout: 5s\nwebhook_retry_schedule: [5s, 72h]\nwebhook_allow_private: true\n",
		"job_interval: 1000000000\n", "key_activation_delay: -1s\n", "unknown_key: 1\n", "master_key: abc\n",
		"listen: [a, b]\n", "a: &a [*a]\n", "<<: {listen: x}\n", "listen: x\nlisten: y\n", "--- \n...\n", "",
		"data_dir: !!binary aGVsbG8=\n", "shutdown_timeout: 1e400\n", "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir() // one per worker process; its inputs run one at a time
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := loadYAML(t, dir, doc)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted an invalid configuration: %v", err)
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("yaml.Marshal: %v", err)
		}
		// Compared as written out: a list given as [] reads back as nil, and
		// both mean "none".
		back, err := loadYAML(t, dir, out)
		if err != nil {
			t.Fatalf("reloading\n%s\ngives %v", out, err)
		}
		if again, _ := yaml.Marshal(back); !bytes.Equal(again, out) {
			t.Fatalf("reloading\n%s\ngives\n%s", out, again)
		}
	})
}
