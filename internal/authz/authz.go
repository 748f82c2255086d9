package authz

import "keywarden/internal/domain"

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

// table is the whole permission model: which roles hold each permission.
// docs/permissions.md renders the same table.
var table = map[Permission][]domain.Role{
	ReadClients:  {domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember},
	WriteClients: {domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper},
	ReadSecrets:  {domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember},
	WriteSecrets: {domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper},
	ReadPolicy:   {domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember},
	WritePolicy:  {domain.RoleSuperAdmin},
	ReadAudit:    {domain.RoleSuperAdmin, domain.RoleAdmin},
	ReadKeys:     {domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember},
	WriteKeys:    {domain.RoleSuperAdmin},

	ReadSelf:          {domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember},
	Self:              {domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember},
	OwnCredential:     {domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember},
	ManageCredentials: {domain.RoleSuperAdmin},
	ReadUsers:         {domain.RoleSuperAdmin, domain.RoleAdmin},
	WriteUsers:        {domain.RoleSuperAdmin},
}

// Allowed reports whether role holds p.
func Allowed(role domain.Role, p Permission) bool {
	for _, r := range table[p] {
		if r == role {
			return true
		}
	}
	return false
}

// Permissions lists every permission, for documentation and tests.
func Permissions() []Permission {
	return []Permission{ReadClients, WriteClients, ReadSecrets, WriteSecrets, ReadPolicy, WritePolicy, ReadAudit, ReadKeys, WriteKeys,
		ReadSelf, Self, OwnCredential, ManageCredentials, ReadUsers, WriteUsers}
}
