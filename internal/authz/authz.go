package authz

import (
	"slices"

	"keywarden/internal/domain"
)

// Permission is an action on a kind of object.
type Permission string

const (
	ReadClients  Permission = "clients:read"
	WriteClients Permission = "clients:write"
	ReadSecrets  Permission = "secrets:read"
	WriteSecrets Permission = "secrets:write"
	ReadPolicy   Permission = "policy:read"
	WritePolicy  Permission = "policy:write"
	ReadAudit    Permission = "audit:read"
	// WriteAuditStreams covers creating and deleting the organisation's
	// audit streams: where its audit log is sent is security
	// configuration, like the policy.
	WriteAuditStreams Permission = "audit_streams:write"
	ReadKeys          Permission = "keys:read"
	WriteKeys         Permission = "keys:write"
	// ReadSelf covers reading one's own profile (GET /v1/me).
	ReadSelf Permission = "account:read"
	// Self covers managing one's own login: password, sessions, MFA. A
	// personal credential's token does not hold it.
	Self              Permission = "account:self"
	OwnCredential     Permission = "credentials:own"
	ManageCredentials Permission = "credentials:manage"
	// OwnAPITokens covers listing, creating, revoking and rotating one's
	// own admin API tokens.
	OwnAPITokens Permission = "api_tokens:own"
	ReadUsers    Permission = "users:read"
	WriteUsers   Permission = "users:write"
	// WriteIdentityProviders covers adding, changing and removing the
	// organisation's OpenID Connect providers: who may sign in, and with
	// which role, is a super admin's to decide (docs/oidc.md).
	WriteIdentityProviders Permission = "identity_providers:write"
	// ReportLeaks covers POST /v1/leaks.
	ReportLeaks Permission = "leaks:report"
	// ReadOrgWebhooks and WriteOrgWebhooks are the organisation's own
	// webhook endpoints: they receive every client's and user's events,
	// so reading them is an admin's, changing where they go a super
	// admin's (as the policy).
	ReadOrgWebhooks  Permission = "webhooks:read"
	WriteOrgWebhooks Permission = "webhooks:write"
)

var (
	everyone   = []domain.Role{domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember}
	builders   = []domain.Role{domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper}
	admins     = []domain.Role{domain.RoleSuperAdmin, domain.RoleAdmin}
	superAdmin = []domain.Role{domain.RoleSuperAdmin}
)

// viaCredential marks the permissions that a personal credential's access
// token holds (with its user's role); the others manage the user's login
// and credentials, which a credential's own token must never do: a leaked
// credential could otherwise change the password, mint API tokens, or
// rotate the credential away from its owner.
const (
	viaCredential = true
	loginOnly     = false
)

// table is the whole permission model: which roles hold each permission,
// and whether a personal credential's token holds it, in the order
// docs/permissions.md shows them.
var table = []struct {
	perm       Permission
	roles      []domain.Role
	credential bool
}{
	{ReadClients, everyone, viaCredential}, {WriteClients, builders, viaCredential},
	{ReadSecrets, everyone, viaCredential}, {WriteSecrets, builders, viaCredential},
	{ReadPolicy, everyone, viaCredential}, {WritePolicy, superAdmin, viaCredential},
	{ReadAudit, admins, viaCredential}, {WriteAuditStreams, superAdmin, viaCredential},
	{ReadKeys, everyone, viaCredential}, {WriteKeys, superAdmin, viaCredential},
	{ReadSelf, everyone, viaCredential}, {Self, everyone, loginOnly},
	{OwnCredential, everyone, loginOnly}, {ManageCredentials, superAdmin, viaCredential},
	{OwnAPITokens, everyone, loginOnly},
	{ReadUsers, admins, viaCredential}, {WriteUsers, superAdmin, viaCredential},
	{WriteIdentityProviders, superAdmin, viaCredential},
	{ReportLeaks, admins, viaCredential},
	{ReadOrgWebhooks, admins, viaCredential}, {WriteOrgWebhooks, superAdmin, viaCredential},
}

// Allowed reports whether role holds p.
func Allowed(role domain.Role, p Permission) bool {
	for _, row := range table {
		if row.perm == p {
			return slices.Contains(row.roles, role)
		}
	}
	return false
}

// CredentialHolds reports whether a personal credential's access token
// holds p (when its user's role does).
func CredentialHolds(p Permission) bool {
	for _, row := range table {
		if row.perm == p {
			return row.credential
		}
	}
	return false
}

// Refusal is the one decision every transport makes before an operation
// that needs p: why by may not do it, or "" when by may.
func Refusal(by domain.Actor, p Permission) string {
	switch {
	case by.ViaCredential && !CredentialHolds(p):
		return "a personal credential's token cannot manage your login or your credentials (password, MFA, sessions, " +
			"the personal credential itself, API tokens); use a login session or an API token"
	case !Allowed(by.Role, p):
		return "your role (" + string(by.Role) + ") does not have permission " + string(p)
	}
	return ""
}

// Permissions lists every permission of the table, in its order.
func Permissions() []Permission {
	out := make([]Permission, len(table))
	for i, row := range table {
		out[i] = row.perm
	}
	return out
}
