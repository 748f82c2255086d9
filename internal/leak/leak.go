package leak

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
)

// MaxFindings bounds one report.
const MaxFindings = 100

// A Responder answers for one kind of value: it finds the value by its
// keyed verifier (secretvalue.Verifier) and responds to its leak
// (credential.Service.SecretLeaked and the like).
type Responder func(ctx context.Context, verifier []byte, r domain.LeakReport) (domain.LeakOutcome, error)

// Responders are the owners of each value format, by prefix.
type Responders struct {
	Secret       Responder // kws_
	RefreshToken Responder // kwr_
	APIToken     Responder // kwt_
	Session      Responder // kwu_
}

// Finding is one reported value, or its fingerprint (the lowercase or
// uppercase hex SHA-256 of the value), and where it was found.
type Finding struct {
	Value       string
	Fingerprint string
	SourceURL   string
	Source      string
}

// Digests finds a generated value's verifier and kind by its SHA-256
// (store.Leaks.VerifierByDigest).
type Digests interface {
	VerifierByDigest(ctx context.Context, digest []byte) (domain.LeakKind, []byte, error)
}

// Label is what a reporter learns about one value.
type Label string

// Labels. Revoked and Quarantined: the value was live and this report, or
// an earlier one (AlreadyReported), shut it down. Inactive: it was
// revoked or expired before. Unknown: well-formed but not a live or past
// value here. Invalid: not a Keywarden value (wrong format or checksum).
const (
	LabelRevoked         Label = "revoked"
	LabelQuarantined     Label = "quarantined"
	LabelAlreadyReported Label = "already_reported"
	LabelInactive        Label = "inactive"
	LabelUnknown         Label = "unknown"
	LabelInvalid         Label = "invalid"
)

// Ours reports whether the label says the value is (or was) one of this
// installation's: GitHub's true_positive.
func (l Label) Ours() bool {
	return l != LabelUnknown && l != LabelInvalid
}

// Service answers leak reports.
type Service struct {
	r           Responders
	verifierKey []byte
	digests     Digests
	// Observe, when set, sees every finding's label as it is answered
	// (the server counts them in keywarden_leak_findings_total).
	Observe func(Label)
}

// New returns a Service that hands values to r, finding each by its keyed
// verifier under verifierKey (the services' own, keyring's secret-verifier
// key) or, for a fingerprint, through digests.
func New(r Responders, verifierKey []byte, digests Digests) *Service {
	return &Service{r: r, verifierKey: verifierKey, digests: digests}
}

// Report answers each finding with a label, in order, after responding to
// every live value. reporter names the reporter in the audit log and the
// recorded leaks ("github", "user:usr_…", "leak-reporter").
func (s *Service) Report(ctx context.Context, reporter string, findings []Finding) ([]Label, error) {
	if len(findings) == 0 {
		return nil, domain.Invalid("findings", "at least one value")
	}
	if len(findings) > MaxFindings {
		return nil, domain.Invalid("findings", "at most 100 values per report")
	}
	for i, f := range findings {
		if (f.Value == "") == (f.Fingerprint == "") {
			return nil, domain.Invalid(fmt.Sprintf("values[%d]", i), "give a value or its fingerprint, not both")
		}
	}
	out := make([]Label, len(findings))
	for i, f := range findings {
		l, err := s.one(ctx, reporter, f)
		if err != nil {
			return nil, err
		}
		if s.Observe != nil {
			s.Observe(l)
		}
		out[i] = l
	}
	return out, nil
}

func (s *Service) one(ctx context.Context, reporter string, f Finding) (Label, error) {
	rep := domain.LeakReport{SourceURL: bounded(f.SourceURL, 2048), Source: bounded(f.Source, 64), Reporter: reporter}
	if f.Fingerprint != "" {
		return s.byFingerprint(ctx, rep, f.Fingerprint)
	}
	value := strings.TrimSpace(f.Value)
	var respond Responder
	var prefix string
	for _, c := range []struct {
		prefix string
		r      Responder
	}{
		{secretvalue.PrefixClientSecret, s.r.Secret},
		{secretvalue.PrefixRefreshToken, s.r.RefreshToken},
		{secretvalue.PrefixAPIToken, s.r.APIToken},
		{secretvalue.PrefixSession, s.r.Session},
	} {
		if strings.HasPrefix(value, c.prefix) {
			prefix, respond = c.prefix, c.r
		}
	}
	if respond == nil {
		return LabelInvalid, nil
	}
	p, err := secretvalue.Parse(prefix, value)
	if err != nil {
		return LabelInvalid, nil
	}
	out, err := respond(ctx, secretvalue.Verifier(s.verifierKey, p), rep)
	if err != nil {
		return "", err
	}
	return labelOf(out.Status)
}

// byFingerprint answers for a value named by its SHA-256: only generated
// client secrets and API tokens created since digests were recorded can
// be found so (docs/leaks.md).
func (s *Service) byFingerprint(ctx context.Context, rep domain.LeakReport, fingerprint string) (Label, error) {
	d, err := hex.DecodeString(strings.TrimSpace(fingerprint))
	if err != nil || len(d) != sha256.Size {
		return LabelInvalid, nil
	}
	kind, verifier, err := s.digests.VerifierByDigest(ctx, d)
	if errors.Is(err, domain.ErrNotFound) {
		return LabelUnknown, nil
	}
	if err != nil {
		return "", err
	}
	respond := map[domain.LeakKind]Responder{domain.LeakSecret: s.r.Secret, domain.LeakAPIToken: s.r.APIToken}[kind]
	if respond == nil {
		return "", errors.New("leak: a digest of kind " + string(kind))
	}
	out, err := respond(ctx, verifier, rep)
	if err != nil {
		return "", err
	}
	return labelOf(out.Status)
}

func labelOf(s domain.LeakStatus) (Label, error) {
	switch s {
	case domain.LeakRevokedNow:
		return LabelRevoked, nil
	case domain.LeakQuarantinedNow:
		return LabelQuarantined, nil
	case domain.LeakAlreadyReported:
		return LabelAlreadyReported, nil
	case domain.LeakAlreadyRevoked, domain.LeakAlreadyExpired:
		return LabelInactive, nil
	case domain.LeakUnknown:
		return LabelUnknown, nil
	}
	return "", errors.New("leak: responder returned status " + string(s))
}

// bounded cuts what a reporter said to n bytes at a rune boundary: it is
// stored and audited, not trusted.
func bounded(s string, n int) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
