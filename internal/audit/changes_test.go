package audit_test

import (
	"slices"
	"testing"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
)

func TestDiff(t *testing.T) {
	type limits struct {
		Admin  int `json:"admin"`
		Member int `json:"member,omitempty"`
	}
	type policy struct {
		Days   limits   `json:"days"`
		MFA    bool     `json:"mfa"`
		Mode   string   `json:"mode,omitempty"`
		Scopes []string `json:"scopes"`
	}
	base := policy{Days: limits{Admin: 90, Member: 1}, Scopes: []string{"a", "b"}}
	tests := []struct {
		name  string
		after func(p policy) policy
		want  []domain.AuditChange
	}{
		{"nothing", func(p policy) policy { return p }, nil},
		{"a nested field", func(p policy) policy { p.Days.Admin = 30; return p }, []domain.AuditChange{audit.Change("days.admin", "90", "30")}},
		{"a field that appears", func(p policy) policy { p.Mode = "strict"; return p }, []domain.AuditChange{audit.Change("mode", "", "strict")}},
		{"a field that disappears", func(p policy) policy { p.Days.Member = 0; return p }, []domain.AuditChange{audit.Change("days.member", "1", "")}},
		{"several, sorted", func(p policy) policy { p.MFA, p.Scopes = true, []string{"a"}; return p },
			[]domain.AuditChange{audit.Change("mfa", "false", "true"), audit.Change("scopes", "a, b", "a")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := audit.Diff(base, tc.after(base))
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Diff = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if got := audit.Fields([]domain.AuditChange{audit.Change("name", "a", "b"), audit.Change("scopes", "", "x")}); got != "name,scopes" {
		t.Errorf("Fields = %q", got)
	}
}
