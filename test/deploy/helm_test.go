package deploy

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const chart = "deploy/helm/keywarden"

// helm finds the helm binary: $KEYWARDEN_HELM (.ci/run builds helm from
// the Go module proxy once and sets it) or PATH.
func helm(t *testing.T) string { return tool(t, "helm", "KEYWARDEN_HELM") }

// render runs helm template with --set values and returns the manifests
// by kind, or the error output.
func render(t *testing.T, set ...string) (map[string][]map[string]any, string, error) {
	t.Helper()
	args := []string{"template", "kw", chart}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	out, err := try(t, time.Minute, helm(t), args...)
	if err != nil {
		return nil, out, err
	}
	docs := map[string][]map[string]any{}
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, out)
		}
		if doc != nil {
			kind, _ := doc["kind"].(string)
			docs[kind] = append(docs[kind], doc)
		}
	}
	return docs, out, nil
}

// dig walks maps and lists: dig(m, "spec", "template", 0, "name").
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// env returns a container's environment: name → value, or
// "secret:NAME/KEY" for a secretKeyRef.
func env(c any) map[string]string {
	out := map[string]string{}
	list, _ := dig(c, "env").([]any)
	for _, e := range list {
		name, _ := dig(e, "name").(string)
		if ref := dig(e, "valueFrom", "secretKeyRef"); ref != nil {
			out[name] = "secret:" + dig(ref, "name").(string) + "/" + dig(ref, "key").(string)
			continue
		}
		out[name], _ = dig(e, "value").(string)
	}
	return out
}

func TestHelmLint(t *testing.T) {
	if out, err := try(t, time.Minute, helm(t), "lint", "--strict", chart, "--set", "masterKey.existingSecret=mk"); err != nil {
		t.Errorf("helm lint: %v\n%s", err, out)
	}
}

// TestHelmSQLite: the default install is one pod on SQLite with a volume,
// the master key from its Secret, probes on /healthz and /readyz on the
// admin port, and a locked-down security context.
func TestHelmSQLite(t *testing.T) {
	docs, out, err := render(t, "masterKey.existingSecret=kw-master", "trustedProxies={10.0.0.0/8,192.168.0.0/16}", "publicURL=https://keys.example.com")
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, out)
	}
	if len(docs["Deployment"]) != 1 || len(docs["Service"]) != 1 || len(docs["PersistentVolumeClaim"]) != 1 || len(docs["PodDisruptionBudget"]) != 0 {
		t.Fatalf("kinds rendered: %v", keys(docs))
	}
	d := docs["Deployment"][0]
	if dig(d, "spec", "replicas") != 1 || dig(d, "spec", "strategy", "type") != "Recreate" {
		t.Errorf("replicas %v strategy %v, want 1 and Recreate", dig(d, "spec", "replicas"), dig(d, "spec", "strategy"))
	}
	pod := dig(d, "spec", "template", "spec")
	c := dig(pod, "containers", 0)
	e := env(c)
	for k, want := range map[string]string{
		"KEYWARDEN_MASTER_KEY":      "secret:kw-master/master.key",
		"KEYWARDEN_DATA_DIR":        "/data",
		"KEYWARDEN_TRUSTED_PROXIES": "10.0.0.0/8,192.168.0.0/16",
		"KEYWARDEN_PUBLIC_URL":      "https://keys.example.com",
		"KEYWARDEN_ADMIN_LISTEN":    "0.0.0.0:9090",
		"KEYWARDEN_DRAIN_DELAY":     "15s",
	} {
		if e[k] != want {
			t.Errorf("env %s = %q, want %q", k, e[k], want)
		}
	}
	if _, ok := e["KEYWARDEN_DATABASE"]; ok {
		t.Error("KEYWARDEN_DATABASE set without PostgreSQL")
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"} {
		if dig(c, probe, "httpGet", "path") != path || dig(c, probe, "httpGet", "port") != "admin" {
			t.Errorf("%s = %v, want %s on the admin port", probe, dig(c, probe), path)
		}
	}
	for path, want := range map[string]any{
		"runAsNonRoot":   true,
		"runAsUser":      65532,
		"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		"fsGroup":        65532,
		"runAsGroup":     65532,
	} {
		if got := dig(pod, "securityContext", path); !equal(got, want) {
			t.Errorf("pod securityContext.%s = %v, want %v", path, got, want)
		}
	}
	sc := dig(c, "securityContext")
	if dig(sc, "allowPrivilegeEscalation") != false || dig(sc, "readOnlyRootFilesystem") != true || !equal(dig(sc, "capabilities", "drop"), []any{"ALL"}) {
		t.Errorf("container securityContext = %v", sc)
	}
	if dig(pod, "automountServiceAccountToken") != false {
		t.Error("the service account token is mounted")
	}
	if !strings.Contains(out, "claimName: kw-keywarden-data") {
		t.Error("the data volume is not the claim")
	}
}

// TestHelmPostgres: with PostgreSQL, replicas > 1 render, the URL comes
// from its Secret, no volume is claimed, and a disruption budget keeps one
// pod up.
func TestHelmPostgres(t *testing.T) {
	docs, out, err := render(t, "masterKey.existingSecret=kw-master", "replicaCount=3", "database.postgres.existingSecret=kw-db",
		"tls.existingSecret=kw-tls", "admin.enabled=false")
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, out)
	}
	if len(docs["PersistentVolumeClaim"]) != 0 || len(docs["PodDisruptionBudget"]) != 1 {
		t.Errorf("kinds rendered: %v", keys(docs))
	}
	d := docs["Deployment"][0]
	c := dig(d, "spec", "template", "spec", "containers", 0)
	e := env(c)
	if dig(d, "spec", "replicas") != 3 || dig(d, "spec", "strategy") != nil {
		t.Errorf("replicas %v strategy %v", dig(d, "spec", "replicas"), dig(d, "spec", "strategy"))
	}
	if e["KEYWARDEN_DATABASE"] != "secret:kw-db/url" || e["KEYWARDEN_TLS_CERT"] != "/etc/keywarden/tls/tls.crt" {
		t.Errorf("env = %v", e)
	}
	if _, ok := e["KEYWARDEN_ADMIN_LISTEN"]; ok {
		t.Error("admin listener with admin.enabled=false")
	}
	// TLS on the main port, no admin port: the probes speak HTTPS to it.
	if dig(c, "readinessProbe", "httpGet", "port") != "http" || dig(c, "readinessProbe", "httpGet", "scheme") != "HTTPS" {
		t.Errorf("readiness probe = %v", dig(c, "readinessProbe"))
	}
}

// TestHelmRefuses: values that cannot work fail rendering with a message.
func TestHelmRefuses(t *testing.T) {
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{nil, "masterKey.existingSecret is required"},
		{[]string{"masterKey.existingSecret=mk", "replicaCount=2"}, "replicaCount > 1 needs PostgreSQL"},
		{[]string{"masterKey.existingSecret=mk", "persistence.enabled=false"}, "SQLite needs persistence.enabled"},
		{[]string{"masterKey.existingSecret=mk", "admin.enabled=false", "admin.pprof=true"}, "admin.pprof needs admin.enabled"},
	} {
		_, out, err := render(t, tc.set...)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("--set %v: err %v, output %s; want a failure saying %q", tc.set, err, out, tc.want)
		}
	}
}

func keys(m map[string][]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func equal(a, b any) bool {
	x, _ := yaml.Marshal(a)
	y, _ := yaml.Marshal(b)
	return bytes.Equal(x, y)
}
