package webhook_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/testkit"
	"keywarden/internal/webhook"
)

func decodeBody(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("payload %s: %v", body, err)
	}
}

// TestPayloadShapes pins every event's payload (STYLE §4.14): what
// receivers parse must not change by accident.
func TestPayloadShapes(t *testing.T) {
	at := time.Date(2031, 3, 4, 5, 6, 7, 123000000, time.UTC)
	expires := at.Add(90 * 24 * time.Hour)
	revoked := at.Add(time.Hour)
	x := domain.Secret{ID: "sec_3hT9xQ2mLw8ZbV1cR7pK0a", OrgID: "org_1", ClientID: "kwc_3hT9xQ2mLw8ZbV1cR7pK0b", Description: "Production",
		CreatedAt: at, CreatedBy: "usr_1", ExpiresAt: &expires, Hint: "a1B2", Origin: domain.OriginGenerated,
		Sealed: []byte("sealed"), Verifier: []byte("verifier")}
	gone := x
	gone.RevokedAt, gone.KeepTokens = &revoked, true
	c := domain.Client{ID: x.ClientID, OrgID: "org_1", Name: "Billing", Disabled: true, UpdatedAt: at}
	personal := domain.Client{ID: "kwp_3hT9xQ2mLw8ZbV1cR7pK0c", OrgID: "org_1", OwnerUserID: "usr_2"}
	key := domain.ClientKey{ID: "ckey_3hT9xQ2mLw8ZbV1cR7pK0e", OrgID: "org_1", ClientID: x.ClientID, KID: "deploy-2031", Algorithm: "ES256",
		PublicJWK: `{"kty":"EC"}`, Thumbprint: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", Description: "CI", CreatedAt: at, ExpiresAt: &expires}
	keyGone := key
	keyGone.RevokedAt = &revoked
	events := map[string]webhook.Event{
		"key.created":                webhook.KeyCreated(key),
		"key.revoked":                webhook.KeyRevoked(keyGone, webhook.ReasonRevoked),
		"secret.created":             webhook.SecretCreated(x),
		"secret.expiring":            webhook.SecretExpiring(x, 7, at),
		"secret.expired":             webhook.SecretExpired(x, expires),
		"secret.revoked":             webhook.SecretRevoked(gone, webhook.ReasonRotationCompleted),
		"secret.revoked-all":         webhook.SecretsRevoked([]domain.Secret{x, gone}, revoked, webhook.ReasonRevokeAll)[0],
		"refresh_token.issued":       webhook.RefreshTokenIssued(domain.RefreshToken{ID: "rft_1", OrgID: "org_1", ClientID: c.ID, Hint: "zZ9q", CreatedAt: at, CreatedBy: "usr_1", ExpiresAt: at.Add(time.Hour)}),
		"client.updated":             webhook.ClientUpdated(domain.Client{ID: c.ID, OrgID: "org_1", Name: "Billing", UpdatedAt: at}, []string{"name", "scopes"}),
		"client.disabled":            webhook.ClientUpdated(c, []string{"disabled"}),
		"credential.revoked":         webhook.CredentialRevoked(personal, []domain.Secret{x}, revoked),
		"webhook.endpoint_failing":   webhook.EndpointHealth("org_1", c.ID, "", "https://hooks.example.com/billing", webhook.StageFailing, at, "HTTP 503", at),
		"webhook.endpoint_exhausted": webhook.EndpointHealth("org_1", c.ID, "", "https://hooks.example.com/billing", webhook.StageExhausted, at, "HTTP 503", revoked),
		"webhook.endpoint_disabled":  webhook.EndpointHealth("org_1", "", "owe_3hT9xQ2mLw8ZbV1cR7pK0d", "https://soc.example.com/in", webhook.StageDisabled, at, "no answer within 10s", expires),
		"webhook.endpoint_recovered": webhook.EndpointHealth("org_1", c.ID, "", "https://hooks.example.com/billing", webhook.StageRecovered, at, "", revoked),
		"secrets.expiring_summary": webhook.ExpiringSummary("org_1", at.Truncate(24*time.Hour), []webhook.SummaryWindow{
			{Days: 1, Count: 1, Secrets: []webhook.ExpiringSecret{{ClientID: x.ClientID, SecretID: x.ID, Description: "Production", Hint: "a1B2", ExpiresAt: at.Add(20 * time.Hour)}}},
			{Days: 7, Count: 0, Secrets: []webhook.ExpiringSecret{}},
			{Days: 14, Count: 0, Secrets: []webhook.ExpiringSecret{}},
		}, at),
		"secret.leaked": webhook.SecretLeaked(gone, domain.Leak{ID: "lk_1", Kind: domain.LeakSecret, SourceURL: "https://github.com/acme/app/blob/1/.env",
			Source: "content", Reporter: "github", ReportedAt: revoked, Response: domain.LeakRevoked}, ""),
		"credential.leaked": webhook.SecretLeaked(domain.Secret{ID: x.ID, OrgID: "org_1", ClientID: personal.ID, CreatedAt: at, ExpiresAt: &expires, Hint: "p0P0",
			Origin: domain.OriginGenerated}, domain.Leak{ID: "lk_2", Kind: domain.LeakSecret, Reporter: "user:usr_1", ReportedAt: revoked,
			Response: domain.LeakQuarantined, QuarantineUntil: &expires}, personal.OwnerUserID),
		"user.credential_required": webhook.CredentialRequired(domain.User{ID: "usr_1", OrgID: "org_1", Email: "ada@example.com", Role: domain.RoleDeveloper},
			domain.ComplianceRotate, &expires, 90, at),
		"secret.created-no-exp.": webhook.SecretCreated(domain.Secret{ID: x.ID, OrgID: "org_1", ClientID: x.ClientID, Description: "Device", CreatedAt: at, Hint: "q7Q7", Origin: domain.OriginSupplied}),
	}
	for name, ev := range events {
		t.Run(name, func(t *testing.T) {
			body, err := webhook.Payload(ev)
			if err != nil {
				t.Fatal(err)
			}
			for _, secretish := range []string{"sealed", "verifier", "c2VhbGVk"} {
				if bytes.Contains(body, []byte(secretish)) {
					t.Errorf("payload holds %q: %s", secretish, body)
				}
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, body, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			testkit.Golden(t, "payload-"+strings.TrimSuffix(name, "."), pretty.Bytes())
		})
	}
	// Every type has a golden file.
	for _, typ := range webhook.OrgTypes() {
		if typ == webhook.TypeSecretLeaked {
			continue // reserved: nothing emits it yet (issue 16)
		}
		if _, err := os.Stat(filepath.Join("testdata", "payload-"+typ+".golden")); err != nil {
			t.Errorf("no payload golden file for %s", typ)
		}
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		name   string
		filter []string
		typ    string
		want   bool
	}{
		{"empty selection receives all", nil, webhook.TypeSecretExpired, true},
		{"exact type", []string{webhook.TypeSecretExpired}, webhook.TypeSecretExpired, true},
		{"other type", []string{webhook.TypeSecretExpired}, webhook.TypeSecretExpiring, false},
		{"group", []string{"secret.*"}, webhook.TypeSecretRevoked, true},
		{"group is not a prefix of another group", []string{"client.*"}, webhook.TypeCredentialRevoked, false},
		{"secret.* is not secrets.*", []string{"secret.*"}, webhook.TypeExpiringSummary, false},
		{"star", []string{"*"}, webhook.TypeRefreshTokenIssued, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := webhook.Wants(tc.filter, tc.typ); got != tc.want {
				t.Errorf("Wants(%q, %s) = %v, want %v", tc.filter, tc.typ, got, tc.want)
			}
		})
	}
}

func TestNormalizeOrgEvents(t *testing.T) {
	var v domain.ValidationError
	in := []string{"webhook.*", "secrets.expiring_summary", "secret.leaked", "credential.revoked", "secrets.*"}
	if got := webhook.NormalizeOrgEvents(&v, "events", in); v.Err() != nil || strings.Join(got, ",") != strings.Join(in, ",") {
		t.Errorf("NormalizeOrgEvents(%q) = %q, %v", in, got, v.Err())
	}
	var bad domain.ValidationError
	if webhook.NormalizeOrgEvents(&bad, "events", []string{"people.*"}); bad.Err() == nil {
		t.Error("NormalizeOrgEvents accepted people.*")
	}
}

func TestNormalizeEvents(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string
		invalid bool
	}{
		{"empty means all", []string{}, nil, false},
		{"types and groups, deduplicated", []string{"secret.*", " client.updated ", "secret.*"}, []string{"secret.*", "client.updated"}, false},
		{"star", []string{"*"}, []string{"*"}, false},
		{"unknown type", []string{"secret.deleted"}, nil, true},
		{"unknown group", []string{"user.*"}, nil, true},
		{"organisation-only types are not a client's", []string{"webhook.*"}, nil, true},
		{"leaks are a client's", []string{"secret.leaked", "credential.leaked"}, []string{"secret.leaked", "credential.leaked"}, false},
		{"too many", strings.Fields(strings.Repeat("* ", webhook.MaxSelectors+1)), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v domain.ValidationError
			got := webhook.NormalizeEvents(&v, "webhook_events", tc.in)
			if (v.Err() != nil) != tc.invalid {
				t.Fatalf("NormalizeEvents(%q) error = %v, want invalid %v", tc.in, v.Err(), tc.invalid)
			}
			if !tc.invalid && strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("NormalizeEvents(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
