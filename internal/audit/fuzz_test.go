package audit_test

import (
	"errors"
	"testing"

	"keywarden/internal/audit"
)

// FuzzParseCheckpoint: whatever an operator pastes is a checkpoint that
// prints back as it was read, or ErrCheckpoint; never a panic.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add("kwcp1.12.8ee6a95e66532af83bc2bbbc4b03ca95e3065e1466400d43fbf124615e00bb07.jWmRLMWJQv7bRrQ6FvOmrBsm4vXNLupfXSj1QTAwDA8")
	f.Add("kwcp1.0..")
	f.Add("kwcp1.99999999999999999999.00.00")
	f.Fuzz(func(t *testing.T, s string) {
		cp, err := audit.ParseCheckpoint(s)
		if err != nil {
			if !errors.Is(err, audit.ErrCheckpoint) {
				t.Fatalf("ParseCheckpoint(%q) = %v, not ErrCheckpoint", s, err)
			}
			return
		}
		again, err := audit.ParseCheckpoint(cp.String())
		if err != nil || again.String() != cp.String() || cp.Seq < 1 {
			t.Fatalf("ParseCheckpoint(%q) = %v; its text %q reads back as %v, %v", s, cp, cp.String(), again, err)
		}
	})
}
