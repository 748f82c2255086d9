package postgres_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store/postgres"
)

// TestCraftedCursor: a cursor whose ID is not UTF-8 or holds NUL is a
// validation error of the "cursor" field. Before, it reached PostgreSQL,
// which answered "invalid byte sequence for encoding UTF8" (SQLSTATE
// 22021), and the API answered 500.
func TestCraftedCursor(t *testing.T) {
	s, err := postgres.Open(t.Context(), freshSchema(t, testDSN(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"kwc_x\xff", "kwc_\x00x", "t\xd3"} {
		cursor := base64.RawURLEncoding.EncodeToString([]byte("1796360767000000|" + id))
		_, _, err := s.ListClients(t.Context(), "org_1", domain.Page{After: cursor, Limit: 10})
		var inval *domain.ValidationError
		if !errors.As(err, &inval) {
			t.Errorf("ListClients after cursor ID %q: %v, want a validation error", id, err)
		}
	}
}
