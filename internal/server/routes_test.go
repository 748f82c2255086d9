package server_test

import (
	"slices"
	"testing"

	"keywarden/internal/api"
	"keywarden/internal/authz"
	"keywarden/internal/ui"
)

// TestRoutePermissions checks both transports' routes against the one
// operation table (authz): every private route names an operation of the
// table and needs exactly the permission the table gives it, every
// operation is served, and the console does nothing the API cannot (so
// that the two can never need different permissions for the same thing).
func TestRoutePermissions(t *testing.T) {
	// What only the console offers: a client's part of the audit log
	// (the API filters GET /v1/audit by target instead).
	// A test event is sent from the console's Webhooks tab only (for now).
	consoleOnly := []authz.Operation{authz.ReadClientAudit, authz.SendTestWebhook}

	served := map[authz.Operation]bool{}
	byAPI := map[authz.Operation]bool{}
	check := func(transport, method, path string, op authz.Operation, perm authz.Permission) {
		t.Helper()
		if op == "" {
			return // public
		}
		if authz.Required(op) == "" {
			t.Errorf("%s %s %s does operation %q, which the table does not have", transport, method, path, op)
		}
		if perm != authz.Required(op) {
			t.Errorf("%s %s %s needs %q, the table says %s needs %q", transport, method, path, perm, op, authz.Required(op))
		}
		served[op] = true
	}
	for _, rt := range (&api.Handler{}).Routes() {
		check("API", rt.Method, rt.Path, rt.Operation, rt.Permission)
		if rt.Permission != "" && rt.Operation == "" {
			t.Errorf("API %s %s needs a permission but names no operation", rt.Method, rt.Path)
		}
		byAPI[rt.Operation] = true
	}
	for _, rt := range (&ui.Handler{}).Routes() {
		check("console", rt.Method, rt.Path, rt.Operation, rt.Permission)
		if rt.Operation != "" && !byAPI[rt.Operation] && !slices.Contains(consoleOnly, rt.Operation) {
			t.Errorf("console %s %s does %s, which no API route does", rt.Method, rt.Path, rt.Operation)
		}
	}
	for _, op := range authz.Operations() {
		if !served[op] {
			t.Errorf("operation %s is in the table but no route does it", op)
		}
	}
}
