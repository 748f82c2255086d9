package audit_test

import (
	"testing"

	"keywarden/internal/audit"
)

func TestHeadMatches(t *testing.T) {
	s, log := chain(t, 3)
	other := audit.New(s, []byte("another key, also 32 bytes long."), nil)
	if ok, err := log.HeadMatches(t.Context()); err != nil || !ok {
		t.Errorf("HeadMatches with the chain's key = %v, %v; want true", ok, err)
	}
	if ok, err := other.HeadMatches(t.Context()); err != nil || ok {
		t.Errorf("HeadMatches with another key = %v, %v; want false", ok, err)
	}
	// Only the head is checked: an edit further back is Verify's to find.
	if _, err := s.DB().ExecContext(t.Context(), `UPDATE audit_events SET target = 'x' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	if ok, err := log.HeadMatches(t.Context()); err != nil || !ok {
		t.Errorf("HeadMatches after an edit of event 1 = %v, %v; want true", ok, err)
	}
	if _, err := s.DB().ExecContext(t.Context(), `UPDATE audit_events SET target = 'x' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	if ok, err := log.HeadMatches(t.Context()); err != nil || ok {
		t.Errorf("HeadMatches after an edit of the head = %v, %v; want false", ok, err)
	}

	_, empty := chain(t, 0)
	if ok, err := empty.HeadMatches(t.Context()); err != nil || !ok {
		t.Errorf("HeadMatches on an empty log = %v, %v; want true", ok, err)
	}
}
