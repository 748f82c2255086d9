package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"keywarden/internal/config"
)

func load(t *testing.T, file string, env map[string]string, args ...string) (config.Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	l := config.Register(fs)
	if file != "" {
		path := filepath.Join(t.TempDir(), "keywarden.yaml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", path)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return l.Load(func(k string) string { return env[k] })
}

func TestPrecedence(t *testing.T) {
	file := "listen: 127.0.0.1:1111\ndata_dir: /from/file\nlog_level: warn\n"
	tests := []struct {
		name       string
		file       string
		env        map[string]string
		args       []string
		wantListen string
		wantDir    string
	}{
		{"defaults", "", nil, nil, "127.0.0.1:8080", "keywarden-data"},
		{"file", file, nil, nil, "127.0.0.1:1111", "/from/file"},
		{"env beats file", file, map[string]string{"KEYWARDEN_LISTEN": "127.0.0.1:2222"}, nil, "127.0.0.1:2222", "/from/file"},
		{"flag beats env", file, map[string]string{"KEYWARDEN_LISTEN": "127.0.0.1:2222"}, []string{"--listen", "127.0.0.1:3333"}, "127.0.0.1:3333", "/from/file"},
		{"env data dir", "", map[string]string{"KEYWARDEN_DATA_DIR": "/from/env"}, nil, "127.0.0.1:8080", "/from/env"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.file, tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen != tc.wantListen || c.DataDir != tc.wantDir {
				t.Errorf("listen, data dir = %q, %q; want %q, %q", c.Listen, c.DataDir, tc.wantListen, tc.wantDir)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want []string // every one must appear
	}{
		{"unknown key names it", "listen: x\nlisten_port: 9\n", nil, []string{"listen_port"}},
		{"bad database", "", map[string]string{"KEYWARDEN_DATABASE": "mysql://x"}, []string{"database"}},
		{"bad env bool", "", map[string]string{"KEYWARDEN_DEV": "maybe"}, []string{"KEYWARDEN_DEV"}},
		{"all problems at once", "log_level: loud\npublic_url: ftp://x\n", nil, []string{"log-level", "public-url"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.file, tc.env)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestMasterKeyIsRedacted(t *testing.T) {
	c, err := load(t, "", map[string]string{"KEYWARDEN_MASTER_KEY": "super-secret-master-key"})
	if err != nil {
		t.Fatal(err)
	}
	if string(c.MasterKey) != "super-secret-master-key" {
		t.Fatal("master key not loaded from the environment")
	}
	for _, s := range []string{c.MasterKey.String(), strings.Join(strings.Fields(strings.ReplaceAll(fmtAll(c), "\n", " ")), " ")} {
		if strings.Contains(s, "super-secret") {
			t.Errorf("master key printed: %s", s)
		}
	}
}
