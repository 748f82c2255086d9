package account

import (
	"context"
	"errors"

	"keywarden/internal/domain"
	"keywarden/internal/metrics"
)

// Login checks email, password and (when MFA is on) a TOTP or recovery
// code, and opens a session. Failures are rate limited per email at the
// source address and per address, and audited. Each login counts in the
// metrics by its channel and outcome, and a second factor it checked by
// its method and outcome.
func (s *Service) Login(ctx context.Context, in LoginInput) (NewSession, error) {
	n, err := s.login(ctx, in)
	factor := ""
	switch {
	case in.TOTPCode != "":
		factor = metrics.MFATOTP
	case in.RecoveryCode != "":
		factor = metrics.MFARecovery
	}
	s.metrics.Login(in.Channel, loginOutcome(err, factor != ""))
	if factor != "" {
		// A code counts when it was checked: a success of an MFA user, or
		// the refusal the code itself caused.
		switch {
		case err == nil && n.User.MFAEnabled:
			s.metrics.MFAVerified(factor, true)
		case errors.Is(err, ErrMFARequired):
			s.metrics.MFAVerified(factor, false)
		}
	}
	return n, err
}

// loginOutcome classifies a login's result; withCode says a second factor
// came with it.
func loginOutcome(err error, withCode bool) string {
	var limited *domain.RateLimitedError
	var inval *domain.ValidationError
	switch {
	case err == nil:
		return metrics.OutcomeSuccess
	case errors.Is(err, ErrMFARequired) && !withCode:
		return metrics.OutcomeMFARequired
	case errors.Is(err, ErrMFARequired), errors.Is(err, ErrBadCredentials), errors.Is(err, ErrLocalLoginDisabled), errors.As(err, &inval):
		return metrics.OutcomeFailure
	case errors.As(err, &limited):
		return metrics.OutcomeRateLimited
	}
	return metrics.OutcomeError
}
