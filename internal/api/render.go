package api

import (
	"net/http"
	"strings"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/httpx"
	"keywarden/internal/secretvalue"
	"keywarden/pkg/apiv1"
)

func writeJSON(w http.ResponseWriter, status int, v any) error {
	return httpx.WriteJSON(w, status, v, "application/json")
}

func clientJSON(c domain.Client) apiv1.Client {
	status := "active"
	if c.Disabled {
		status = "disabled"
	}
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return apiv1.Client{
		ClientID: string(c.ID), Name: c.Name, Description: c.Description, Scopes: scopes,
		TokenTTLSeconds: c.TokenTTL, WebhookURL: c.WebhookURL, Status: status,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, WebhookEvents: nonNil(c.WebhookEvents), LastUsedAt: c.LastUsedAt,
	}
}

func secretJSON(x domain.Secret, newID domain.SecretID, now time.Time) apiv1.Secret {
	masked := "…" + x.Hint
	if x.Origin == domain.OriginGenerated {
		masked = secretvalue.PrefixClientSecret + masked
	}
	return apiv1.Secret{
		ID: string(x.ID), ClientID: string(x.ClientID), Description: x.Description, Hint: x.Hint, Masked: masked,
		Origin: string(x.Origin), Status: string(x.State(now)), New: x.ID == newID,
		CreatedAt: x.CreatedAt, CreatedBy: x.CreatedBy, ExpiresAt: x.ExpiresAt, RevokedAt: x.RevokedAt,
		LastUsedAt: x.LastUsedAt, LastUsedFrom: x.LastUsedFrom, AllowedCIDRs: nonNil(x.AllowedCIDRs), KeepTokens: x.KeepTokens,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func secretViewJSON(v credential.SecretView) apiv1.Secret {
	return secretJSON(v.Secret, v.NewID, v.Now)
}

func rotationJSON(v credential.RotationView) apiv1.RotationStatus {
	r, newID, now := v.Rotation, v.NewID, v.Now
	out := apiv1.RotationStatus{
		ID: string(r.ID), ClientID: string(r.ClientID), State: string(v.State), SafeToRevoke: v.SafeToRevoke, OldSecrets: []apiv1.Secret{},
		StartedAt: r.StartedAt, StartedBy: r.StartedBy, AutoComplete: r.AutoComplete, QuietSeconds: r.QuietSeconds,
		KeepTokens: r.KeepTokens, CompletedAt: r.CompletedAt, CompletedBy: r.CompletedBy,
	}
	if x, ok := v.Secrets[r.NewSecretID]; ok {
		out.NewSecret = secretJSON(x, newID, now)
	} else {
		out.NewSecret = apiv1.Secret{ID: string(r.NewSecretID), ClientID: string(r.ClientID), Status: "deleted", AllowedCIDRs: []string{}}
	}
	for _, id := range r.OldSecretIDs {
		if x, ok := v.Secrets[id]; ok {
			out.OldSecrets = append(out.OldSecrets, secretJSON(x, newID, now))
		}
	}
	return out
}

func refreshJSON(t domain.RefreshToken, now time.Time) apiv1.RefreshToken {
	return apiv1.RefreshToken{ID: string(t.ID), ClientID: string(t.ClientID), Hint: t.Hint, Status: string(t.State(now)), CreatedAt: t.CreatedAt,
		CreatedBy: t.CreatedBy, ExpiresAt: t.ExpiresAt, UsedAt: t.UsedAt, RevokedAt: t.RevokedAt, RevokedReason: string(t.RevokedReason)}
}

func createdSecretJSON(n credential.NewSecret) apiv1.CreatedSecret {
	return apiv1.CreatedSecret{Secret: secretJSON(n.Secret, n.NewID, n.Now), Value: n.Value.Reveal()}
}

func policyJSON(p domain.Policy) apiv1.Policy {
	days := map[string]int{}
	for r, d := range p.MaxSecretLifetimeDays {
		days[string(r)] = d
	}
	breakGlass := []string{}
	for _, id := range p.BreakGlassUsers {
		breakGlass = append(breakGlass, string(id))
	}
	return apiv1.Policy{
		RequireMFA:            p.RequireMFA,
		MaxSecretLifetimeDays: days, AllowNeverExpire: p.AllowNeverExpire, PersonalCredentials: p.PersonalCredentials,
		RefuseCredentialsWithMFA: p.RefuseCredentialsWithMFA, AccessTokenTTLSeconds: p.AccessTokenTTLSeconds,
		LeakResponse: p.EffectiveLeakResponse(), LeakQuarantineHours: int(p.LeakQuarantine() / time.Hour),
		PersonalRevocation: p.EffectivePersonalRevocation(), LegacyPasswordLogin: p.LegacyPasswordLogin,
		LegacyPasswordCreatedBefore: p.LegacyPasswordCreatedBefore, LegacyPasswordUntil: p.LegacyPasswordUntil,
		RequirePersonalCredential: p.RequirePersonalCredential, PersonalCredentialRotateBy: p.PersonalCredentialRotateBy,
		PersonalCredentialRotateFrom: p.PersonalCredentialRotateFrom, CredentialRequiredEvents: p.CredentialRequiredEvents,
		LocalLoginDisabled: p.LocalLoginDisabled, BreakGlassUsers: breakGlass, AllowFederatedPersonalCredentials: p.AllowFederatedPersonalCredentials,
	}
}

// auditListJSON renders a page of events with the names of the IDs they
// hold (names: audit.Log.Names of the page).
func auditListJSON(events []domain.AuditEvent, next string, names map[string]domain.AuditName) apiv1.AuditList {
	out := apiv1.AuditList{Items: make([]apiv1.AuditEvent, 0, len(events)), NextCursor: next}
	for _, e := range events {
		j := apiv1.AuditEvent{
			Seq: e.Seq, ID: e.ID, At: e.At, ActorKind: string(e.ActorKind), ActorID: e.ActorID, Action: e.Action,
			Target: e.Target, Source: e.Source, Result: e.Result, Detail: e.Detail,
		}
		for _, c := range e.Changes {
			j.Changes = append(j.Changes, apiv1.AuditChange{Field: c.Field, Before: c.Before, After: c.After})
		}
		name := func(id string) {
			if n, ok := names[id]; ok {
				if j.Names == nil {
					j.Names = map[string]apiv1.AuditName{}
				}
				j.Names[id] = apiv1.AuditName{Kind: n.Kind, Name: n.Name, ClientID: string(n.ClientID)}
			}
		}
		name(e.ActorID)
		name(e.Target)
		for _, v := range e.Detail {
			for _, id := range strings.Split(v, ",") {
				name(id)
			}
		}
		out.Items = append(out.Items, j)
	}
	return out
}
