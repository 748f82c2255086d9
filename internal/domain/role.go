package domain

// Role is a user's role in their organisation.
type Role string

const (
	RoleSuperAdmin Role = "super_admin"
	RoleAdmin      Role = "admin"
	RoleDeveloper  Role = "developer"
	RoleMember     Role = "member"
)

// Roles lists every role, most privileged first.
var Roles = []Role{RoleSuperAdmin, RoleAdmin, RoleDeveloper, RoleMember}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	switch r {
	case RoleSuperAdmin, RoleAdmin, RoleDeveloper, RoleMember:
		return true
	}
	return false
}
