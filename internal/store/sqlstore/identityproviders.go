package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"keywarden/internal/domain"
)

const idpColumns = `id, org_id, name, issuer, client_id, client_secret_sealed, scopes, email_claim, allowed_domains,
	default_role, groups_claim, group_roles, disabled, created_at, updated_at`

func scanIdentityProvider(row interface{ Scan(...any) error }) (domain.IdentityProvider, error) {
	var p domain.IdentityProvider
	var scopes, domains, role, groups string
	var disabled int
	var created, updated int64
	if err := row.Scan(&p.ID, &p.OrgID, &p.Name, &p.Issuer, &p.ClientID, &p.ClientSecretSealed, &scopes, &p.EmailClaim, &domains,
		&role, &p.GroupsClaim, &groups, &disabled, &created, &updated); err != nil {
		return p, notFound(err)
	}
	p.Scopes, p.AllowedDomains = strings.Fields(scopes), strings.Fields(domains)
	p.DefaultRole, p.Disabled = domain.Role(role), disabled != 0
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal([]byte(groups), &p.GroupRoles); err != nil {
		return p, fmt.Errorf("identity provider %s: group roles: %w", p.ID, err)
	}
	return p, nil
}

func idpGroups(p domain.IdentityProvider) (string, error) {
	if p.GroupRoles == nil {
		return "{}", nil
	}
	b, err := json.Marshal(p.GroupRoles)
	return string(b), err
}

func (s *conn) CreateIdentityProvider(ctx context.Context, p domain.IdentityProvider) error {
	groups, err := idpGroups(p)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO identity_providers (`+idpColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.OrgID, p.Name, p.Issuer, p.ClientID, p.ClientSecretSealed, strings.Join(p.Scopes, " "), p.EmailClaim,
		strings.Join(p.AllowedDomains, " "), string(p.DefaultRole), p.GroupsClaim, groups, boolInt(p.Disabled),
		micros(p.CreatedAt), micros(p.UpdatedAt))
	return s.conflict(err, "the organisation has an identity provider named "+p.Name)
}

func (s *conn) GetIdentityProvider(ctx context.Context, org domain.OrgID, id domain.IdentityProviderID) (domain.IdentityProvider, error) {
	return scanIdentityProvider(s.queryRow(ctx, `SELECT `+idpColumns+` FROM identity_providers WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) ListIdentityProviders(ctx context.Context, org domain.OrgID) ([]domain.IdentityProvider, error) {
	rows, err := s.query(ctx, `SELECT `+idpColumns+` FROM identity_providers WHERE org_id = ? ORDER BY name, id`, org)
	return collect(rows, err, scanIdentityProvider)
}

func (s *conn) UpdateIdentityProvider(ctx context.Context, org domain.OrgID, id domain.IdentityProviderID, fn func(*domain.IdentityProvider) error) (domain.IdentityProvider, error) {
	return update(ctx, s, func(c *conn) (domain.IdentityProvider, error) {
		return scanIdentityProvider(c.queryRow(ctx, `SELECT `+idpColumns+` FROM identity_providers WHERE org_id = ? AND id = ?`+c.lock(), org, id))
	}, fn, func(c *conn, p domain.IdentityProvider) error {
		groups, err := idpGroups(p)
		if err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE identity_providers SET name = ?, issuer = ?, client_id = ?, client_secret_sealed = ?, scopes = ?,
			email_claim = ?, allowed_domains = ?, default_role = ?, groups_claim = ?, group_roles = ?, disabled = ?, updated_at = ?
			WHERE org_id = ? AND id = ?`,
			p.Name, p.Issuer, p.ClientID, p.ClientSecretSealed, strings.Join(p.Scopes, " "), p.EmailClaim, strings.Join(p.AllowedDomains, " "),
			string(p.DefaultRole), p.GroupsClaim, groups, boolInt(p.Disabled), micros(p.UpdatedAt), org, id)
		return c.conflict(err, "the organisation has an identity provider named "+p.Name)
	})
}

func (s *conn) DeleteIdentityProvider(ctx context.Context, org domain.OrgID, id domain.IdentityProviderID) error {
	return mustAffect(s.exec(ctx, `DELETE FROM identity_providers WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) UserByIdentity(ctx context.Context, org domain.OrgID, provider domain.IdentityProviderID, subject string) (domain.User, error) {
	if provider == "" {
		return domain.User{}, domain.ErrNotFound
	}
	return scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? AND idp_id = ? AND idp_subject = ?`, org, provider, subject))
}

func (s *conn) ConsumeOIDCState(ctx context.Context, digest []byte, expires, now time.Time) (bool, error) {
	if _, err := s.exec(ctx, `DELETE FROM oidc_states WHERE expires_at < ?`, micros(now)); err != nil {
		return false, err
	}
	res, err := s.exec(ctx, `INSERT INTO oidc_states (digest, expires_at) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING`, digest, micros(expires))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
