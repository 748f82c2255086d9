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
	ReadKeys     Permission = "keys:read"
	WriteKeys    Permission = "keys:write"
	// ReadSelf covers reading one's own profile (GET /v1/me).
	ReadSelf Permission = "account:read"
	// Self covers managing one's own login: password, sessions, MFA. A
	// personal credential's token does not hold it.
	Self              Permission = "account:self"
	OwnCredential     Permission = "credentials:own"
	ManageCredentials Permission = "credentials:manage"
	ReadUsers         Permission = "users:read"
	WriteUsers        Permission = "users:write"
)

var (
	everyone   = []domain.Role{domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember}
	builders   = []domain.Role{domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper}
	admins     = []domain.Role{domain.RoleSuperAdmin, domain.RoleAdmin}
	superAdmin = []domain.Role{domain.RoleSuperAdmin}
)

// table is the whole permission model: which roles hold each permission,
// in the order docs/permissions.md shows them.
var table = []struct {
	perm  Permission
	roles []domain.Role
}{
	{ReadClients, everyone}, {WriteClients, builders},
	{ReadSecrets, everyone}, {WriteSecrets, builders},
	{ReadPolicy, everyone}, {WritePolicy, superAdmin},
	{ReadAudit, admins},
	{ReadKeys, everyone}, {WriteKeys, superAdmin},
	{ReadSelf, everyone}, {Self, everyone},
	{OwnCredential, everyone}, {ManageCredentials, superAdmin},
	{ReadUsers, admins}, {WriteUsers, superAdmin},
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

// Permissions lists every permission of the table, in its order.
func Permissions() []Permission {
	out := make([]Permission, len(table))
	for i, row := range table {
		out[i] = row.perm
	}
	return out
}
