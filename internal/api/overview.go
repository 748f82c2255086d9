package api

import (
	"net/http"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

// overview serves the organisation's credential health.
func (h *Handler) overview(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	if _, err := queryOf(r); err != nil {
		return err
	}
	o, err := h.Credentials.Overview(r.Context(), by)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, overviewJSON(o))
}

// overviewJSON is the wire form of an overview (the console's page shows
// the same figures).
func overviewJSON(o credential.Overview) apiv1.Overview {
	out := apiv1.Overview{GeneratedAt: o.Now, ExpiringWithin: map[string]int{"1d": o.ExpiringWithin[1], "7d": o.ExpiringWithin[7], "14d": o.ExpiringWithin[14]},
		Expiring: secretsOf(o.Expiring), UnusedDays: o.UnusedDays, UnusedCount: o.UnusedCount, Unused: secretsOf(o.Unused),
		NoSecretCount: o.NoSecretCount, NoActiveSecret: clientsOf(o.NoActiveSecret), FailingWebhooks: clientsOf(o.Failing),
		Rotations: []apiv1.OverviewRotation{}, UsersWithoutMFA: usersOf(o.UsersWithoutMFA), UsersWithoutCredential: usersOf(o.UsersWithoutCredential),
		UsersToRotate:         usersOf(o.UsersToRotate),
		FailedAuthentications: apiv1.FailedAuthentications{Last24Hours: o.Failures, DailyAverageBefore: o.FailuresDailyAverage, Spike: o.Spike},
		Leaks:                 leaksJSON(o.Leaks),
		LegacyPasswordUsers:   usersOf(o.LegacyPasswordUsers), LegacyPasswordUntil: o.LegacyPasswordUntil,
		CredentialRequired: []apiv1.OverviewCompliance{}}
	for _, c := range o.CredentialRequired {
		out.CredentialRequired = append(out.CredentialRequired, apiv1.OverviewCompliance{UserID: string(c.User.ID), Email: c.User.Email,
			State: string(c.State), RotateBy: c.RotateBy})
	}
	for _, v := range o.Rotations {
		out.Rotations = append(out.Rotations, apiv1.OverviewRotation{RotationID: string(v.Rotation.ID), ClientID: string(v.Rotation.ClientID),
			State: string(v.State), SafeToRevoke: v.SafeToRevoke, StartedAt: v.Rotation.StartedAt})
	}
	return out
}

func secretsOf(xs []domain.HealthSecret) []apiv1.OverviewSecret {
	out := make([]apiv1.OverviewSecret, 0, len(xs))
	for _, x := range xs {
		out = append(out, apiv1.OverviewSecret{SecretID: string(x.SecretID), ClientID: string(x.ClientID), ClientName: x.ClientName,
			Description: x.Description, ExpiresAt: x.ExpiresAt, LastUsedAt: x.LastUsedAt})
	}
	return out
}

func clientsOf(cs []domain.HealthClient) []apiv1.OverviewClient {
	out := make([]apiv1.OverviewClient, 0, len(cs))
	for _, c := range cs {
		out = append(out, apiv1.OverviewClient{ClientID: string(c.ClientID), Name: c.Name, Since: c.Since, Detail: c.Detail})
	}
	return out
}

func usersOf(us []domain.User) []apiv1.OverviewUser {
	out := make([]apiv1.OverviewUser, 0, len(us))
	for _, u := range us {
		out = append(out, apiv1.OverviewUser{UserID: string(u.ID), Email: u.Email})
	}
	return out
}
