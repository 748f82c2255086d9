package deploy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// podmanRunFlags adapt podman to the machine it runs on. runc, because
// crun refuses this host's hybrid cgroup layout; explicit rlimits no higher
// than our own hard limits, because podman's defaults (a million open
// files) exceed what an unprivileged container host grants and setrlimit
// fails.
func podmanRunFlags() []string {
	var nofile syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile)
	n := min(nofile.Max, 65536)
	flags := []string{"--ulimit", fmt.Sprintf("nofile=%d:%d", n, n), "--ulimit", "nproc=4096:4096"}
	if _, err := exec.LookPath("runc"); err == nil {
		flags = append([]string{"--runtime", "runc"}, flags...)
	}
	return flags
}

// TestContainerImage builds the image of deploy/container from scratch
// with podman (no registry), checks its configuration (non-root user, data
// volume, health check), runs it, and probes it from outside and with its
// own health check.
func TestContainerImage(t *testing.T) {
	podman := tool(t, "podman", "")
	ctx := t.TempDir()
	// A bound against a hang, not a timing: a cold static build takes minutes
	// on a busy machine.
	run(t, 20*time.Minute, "sh", "deploy/container/build-context.sh", ctx)
	b := make([]byte, 6)
	rand.Read(b)
	image := "localhost/keywarden-test:" + hex.EncodeToString(b)
	run(t, 5*time.Minute, podman, "build", "--format", "docker", "-t", image, "-f", filepath.Join(ctx, "Containerfile"), ctx)
	t.Cleanup(func() { exec.Command(podman, "rmi", "-f", image).Run() })

	var inspect []struct {
		Config struct {
			User       string
			Entrypoint []string
			Cmd        []string
			Volumes    map[string]any
			Env        []string
		}
		HealthCheck struct{ Test []string } // podman reports it beside Config
		Size        int64
	}
	if err := json.Unmarshal([]byte(run(t, time.Minute, podman, "image", "inspect", image)), &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	cfg := inspect[0].Config
	if cfg.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532 (non-root)", cfg.User)
	}
	if _, ok := cfg.Volumes["/data"]; !ok {
		t.Errorf("volumes = %v, want /data", cfg.Volumes)
	}
	if hc := inspect[0].HealthCheck.Test; strings.Join(hc, " ") != "CMD /keywarden healthcheck" {
		t.Errorf("health check = %v", hc)
	}
	if strings.Join(cfg.Entrypoint, " ") != "/keywarden" || strings.Join(cfg.Cmd, " ") != "serve" {
		t.Errorf("entrypoint %v cmd %v", cfg.Entrypoint, cfg.Cmd)
	}
	t.Logf("image size: %.1f MB", float64(inspect[0].Size)/1e6)

	// Run it on the host network, on a free loopback port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	key := make([]byte, 32)
	rand.Read(key)
	name := "keywarden-test-" + hex.EncodeToString(b)
	args := append([]string{"run", "-d", "--name", name, "--network", "host"}, podmanRunFlags()...)
	args = append(args, "-e", "KEYWARDEN_LISTEN=127.0.0.1:"+port, "-e", "KEYWARDEN_MASTER_KEY="+hex.EncodeToString(key), image)
	if out, err := try(t, 2*time.Minute, podman, args...); err != nil {
		t.Fatalf("podman run: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command(podman, "logs", name).CombinedOutput()
			t.Logf("container log:\n%s", out)
		}
		exec.Command(podman, "rm", "-f", "-t", "10", name).Run()
	})
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the container never became ready: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out := run(t, time.Minute, podman, "exec", name, "/keywarden", "healthcheck", "--ready"); !strings.Contains(out, "ok http://127.0.0.1:"+port+"/readyz") {
		t.Errorf("healthcheck in the container: %s", out)
	}
	if out, err := try(t, time.Minute, podman, "healthcheck", "run", name); err != nil {
		t.Errorf("podman healthcheck run: %v %s", err, out)
	}
	// The server process runs as the image's user (scratch has no ps for
	// podman top: read its status from the host's /proc).
	pid := strings.TrimSpace(run(t, time.Minute, podman, "inspect", "--format", "{{.State.Pid}}", name))
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if f := strings.Fields(line); len(f) > 1 && (f[0] == "Uid:" || f[0] == "Gid:") && f[1] != "65532" {
			t.Errorf("server process %s", strings.TrimSpace(line))
		}
	}
	// Stops cleanly on SIGTERM (podman stop).
	if out, err := try(t, time.Minute, podman, "stop", "-t", "20", name); err != nil {
		t.Errorf("podman stop: %v %s", err, out)
	}
	var state []struct{ State struct{ ExitCode int } }
	json.Unmarshal([]byte(run(t, time.Minute, podman, "inspect", name)), &state)
	if len(state) != 1 || state[0].State.ExitCode != 0 {
		t.Errorf("exit after stop = %+v, want 0", state)
	}
}
