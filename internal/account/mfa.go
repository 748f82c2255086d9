package account

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
)

// RecoveryCodeCount is how many recovery codes a user gets.
const RecoveryCodeCount = 10

// Enrolment is a started MFA enrolment: the TOTP secret for an
// authenticator app, as text, URI and QR code.
type Enrolment struct {
	Secret string
	URI    string
	QRPNG  []byte
}

// BeginMFA starts (or restarts) TOTP enrolment. MFA is on only after
// ConfirmMFA with a code from the app.
func (s *Service) BeginMFA(ctx context.Context, by domain.Actor) (Enrolment, error) {
	org, err := s.store.GetOrg(ctx, by.OrgID)
	if err != nil {
		return Enrolment{}, err
	}
	var out Enrolment
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.UpdateUser(ctx, by.OrgID, by.UserID(), func(u *domain.User) error {
			if u.MFAEnabled {
				return domain.Conflict("MFA is already on; disable it first to enrol a new device")
			}
			key, err := totp.Generate(totp.GenerateOpts{Issuer: "Keywarden (" + org.Name + ")", AccountName: u.Email})
			if err != nil {
				return err
			}
			img, err := key.Image(240, 240)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				return err
			}
			out = Enrolment{Secret: key.Secret(), URI: key.URL(), QRPNG: buf.Bytes()}
			u.TOTPSealed = s.keys.Seal([]byte(key.Secret()), []byte(u.ID))
			return nil
		})
		if err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "mfa.enrol_start", Target: string(u.ID)})
	})
	return out, err
}

func (s *Service) totpSecret(u domain.User) (string, error) {
	b, err := s.keys.Open(u.TOTPSealed, []byte(u.ID))
	if err != nil {
		return "", fmt.Errorf("open TOTP secret of %s: %w", u.ID, err)
	}
	return string(b), nil
}

func (s *Service) recoveryVerifier(code string) string {
	m := hmac.New(sha256.New, s.verifierKey)
	m.Write([]byte("recovery:" + strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))))
	return hex.EncodeToString(m.Sum(nil))
}

// ConfirmMFA turns MFA on with a code from the app and returns the
// recovery codes, shown once.
func (s *Service) ConfirmMFA(ctx context.Context, by domain.Actor, code string) ([]string, error) {
	var codes []string
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.UpdateUser(ctx, by.OrgID, by.UserID(), func(u *domain.User) error {
			if u.MFAEnabled {
				return domain.Conflict("MFA is already on")
			}
			if len(u.TOTPSealed) == 0 {
				return domain.Conflict("start the enrolment first (POST /v1/me/mfa)")
			}
			secret, err := s.totpSecret(*u)
			if err != nil {
				return err
			}
			step := totpStep(secret, strings.TrimSpace(code), s.clock())
			if step < 0 {
				return errWrongCode
			}
			u.TOTPLastStep = step
			codes = make([]string, RecoveryCodeCount)
			u.RecoveryCodes = make([]string, RecoveryCodeCount)
			for i := range codes {
				raw := strings.ToLower(secretvalue.GeneratePassword().Reveal()[:10])
				codes[i] = raw[:5] + "-" + raw[5:]
				u.RecoveryCodes[i] = s.recoveryVerifier(codes[i])
			}
			u.MFAEnabled = true
			return nil
		})
		if err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "mfa.enable", Target: string(u.ID)})
	})
	if err == errWrongCode {
		return nil, s.failedCode(ctx, by, "mfa.enable", "does not match: check the time on your device and enter the current 6-digit code")
	}
	if err == nil && s.onUserChange != nil {
		s.onUserChange(by.OrgID)
	}
	return codes, err
}

// errWrongCode leaves a transaction so that the failure is audited
// outside it (the transaction rolls back).
var errWrongCode = errors.New("wrong code")

func (s *Service) failedCode(ctx context.Context, by domain.Actor, action, msg string) error {
	if err := s.audit.Record(ctx, audit.Entry{Actor: by, Action: action, Target: by.ID, Result: domain.ResultFailure,
		Detail: map[string]string{"reason": "wrong code"}}); err != nil {
		return err
	}
	return domain.Invalid("code", msg)
}

// DisableMFA turns MFA off; it needs a current TOTP or recovery code,
// consumed like a login's.
func (s *Service) DisableMFA(ctx context.Context, by domain.Actor, code string) error {
	limitKey, now := "mfa|"+string(by.ID), s.clock() // whoever holds a session must not guess codes
	if wait, ok := s.limitLogin.Take(limitKey, now); !ok {
		s.metrics.RateLimited(metrics.LimitMFA)
		return &LoginRateLimitedError{RetryAfter: wait}
	}
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.LockUser(ctx, by.OrgID, by.UserID())
		if err != nil {
			return err
		}
		if !u.MFAEnabled {
			return domain.Conflict("MFA is not on")
		}
		ok, err := s.consumeSecondFactor(ctx, tx, u, code, code, s.clock())
		if err != nil {
			return err
		}
		if !ok {
			return errWrongCode
		}
		if _, err := tx.UpdateUser(ctx, by.OrgID, u.ID, func(u *domain.User) error {
			u.MFAEnabled, u.TOTPSealed, u.RecoveryCodes = false, nil, nil
			return nil
		}); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "mfa.disable", Target: string(u.ID)})
	})
	if err != errWrongCode {
		s.limitLogin.Refund(limitKey, now) // only a wrong code is a failure
	}
	if err == errWrongCode {
		return s.failedCode(ctx, by, "mfa.disable", "does not match a current TOTP code or an unused recovery code")
	}
	if err == nil && s.onUserChange != nil {
		s.onUserChange(by.OrgID)
	}
	return err
}

// totpStep returns the time step of code within one step of now (RFC
// 6238 §5.2 allows that much clock drift), or -1 when it matches none.
func totpStep(secret, code string, now time.Time) int64 {
	for _, skew := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(skew*30) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return at.Unix() / 30
		}
	}
	return -1
}

// consumeSecondFactor accepts a TOTP code once (a code whose time step
// was already used is refused, RFC 6238 §5.2) or consumes a recovery code,
// in tx, with conditional updates: of logins that race with one code, one
// wins. u is the user as locked in tx.
func (s *Service) consumeSecondFactor(ctx context.Context, tx store.Tx, u domain.User, totpCode, recovery string, now time.Time) (bool, error) {
	if c := strings.TrimSpace(totpCode); len(c) == 6 {
		secret, err := s.totpSecret(u)
		if err != nil {
			return false, err
		}
		if step := totpStep(secret, c, now); step > u.TOTPLastStep {
			ok, err := tx.ConsumeTOTPStep(ctx, u.OrgID, u.ID, step)
			if err != nil || ok {
				return ok, err
			}
		}
	}
	if recovery == "" {
		return false, nil
	}
	remaining, ok, err := tx.ConsumeRecoveryCode(ctx, u.OrgID, u.ID, s.recoveryVerifier(recovery))
	if err != nil || !ok {
		return false, err
	}
	return true, s.audit.Append(ctx, tx, audit.Entry{Actor: domain.UserActor(u.OrgID, u.ID, "", ""),
		Action: "mfa.recovery_code_used", Target: string(u.ID), Detail: map[string]string{"remaining": fmt.Sprint(remaining)}})
}
