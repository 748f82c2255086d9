package metrics

import "github.com/prometheus/client_golang/prometheus"

// Label values of the authentication series.
const (
	// Login channels.
	ChannelConsole = "console"
	ChannelAPI     = "api"

	// Outcomes (logins, client authentications, MFA checks).
	OutcomeSuccess     = "success"
	OutcomeFailure     = "failure"
	OutcomeMFARequired = "mfa_required" // the password was right; the second factor is asked for
	OutcomeRateLimited = "rate_limited"
	OutcomeError       = "error" // not the caller's fault: the store, a busy server

	// MFA methods.
	MFATOTP     = "totp"
	MFARecovery = "recovery"
)

// Limit names a rate limit, the label of keywarden_rate_limited_total.
// A limit that is not listed here counts as "other": add it here first.
type Limit string

// The rate limits that refuse requests.
const (
	LimitLoginAccount   Limit = "login_account"   // failed logins of one email at one address
	LimitLoginAddress   Limit = "login_address"   // failed logins from one address
	LimitLoginGuesses   Limit = "login_guesses"   // failed logins of one account from any address
	LimitPasswordChange Limit = "password_change" // wrong current passwords of one user
	LimitMFA            Limit = "mfa"             // wrong codes while enrolling or disabling MFA
	LimitClient         Limit = "client"          // failed authentications of one client at one address
	LimitClientAddress  Limit = "client_address"  // failed client authentications from one address
	LimitClientGuesses  Limit = "client_guesses"  // failed authentications of one client from any address
	LimitHashing        Limit = "hashing"         // the password-hashing queue was full
)

var limits = []Limit{LimitLoginAccount, LimitLoginAddress, LimitLoginGuesses, LimitPasswordChange, LimitMFA,
	LimitClient, LimitClientAddress, LimitClientGuesses, LimitHashing}

// Grant types of keywarden_tokens_issued_total.
const (
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

type authMetrics struct {
	tokens       map[string]prometheus.Counter
	clientAuth   map[string]prometheus.Counter
	logins       map[string]map[string]prometheus.Counter // channel → outcome
	mfa          map[string]map[string]prometheus.Counter // method → outcome
	refreshReuse prometheus.Counter
	limited      map[string]prometheus.Counter
}

func newAuthMetrics(r *prometheus.Registry) authMetrics {
	tokens := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keywarden_tokens_issued_total", Help: "Access tokens issued at the token endpoint, by grant type.",
	}, []string{"grant"})
	clientAuth := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keywarden_client_authentications_total", Help: "Client authentications at the OAuth endpoints, by outcome (success, failure, rate_limited).",
	}, []string{"outcome"})
	logins := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keywarden_logins_total", Help: "Password logins of people, by channel (console, api) and outcome (success, failure, mfa_required, rate_limited, error).",
	}, []string{"channel", "outcome"})
	mfa := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keywarden_mfa_verifications_total", Help: "Second factors checked at login, by method (totp, recovery) and outcome (success, failure).",
	}, []string{"method", "outcome"})
	reuse := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "keywarden_refresh_token_reuse_total", Help: "Refresh tokens presented again after use: each revoked its family (RFC 6819 §5.2.2.3).",
	})
	limited := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keywarden_rate_limited_total", Help: "Requests refused by a rate limit, by limit.",
	}, []string{"limit"})
	r.MustRegister(tokens, clientAuth, logins, mfa, reuse, limited)
	a := authMetrics{
		tokens:       children(tokens, GrantClientCredentials, GrantRefreshToken),
		clientAuth:   children(clientAuth, OutcomeSuccess, OutcomeFailure, OutcomeRateLimited),
		logins:       map[string]map[string]prometheus.Counter{},
		mfa:          map[string]map[string]prometheus.Counter{},
		refreshReuse: reuse,
	}
	for _, ch := range []string{ChannelConsole, ChannelAPI, "other"} {
		a.logins[ch] = children(logins.MustCurryWith(prometheus.Labels{"channel": ch}),
			OutcomeSuccess, OutcomeFailure, OutcomeMFARequired, OutcomeRateLimited, OutcomeError)
	}
	for _, method := range []string{MFATOTP, MFARecovery} {
		a.mfa[method] = children(mfa.MustCurryWith(prometheus.Labels{"method": method}), OutcomeSuccess, OutcomeFailure)
	}
	names := make([]string, len(limits))
	for i, l := range limits {
		names[i] = string(l)
	}
	a.limited = children(limited, names...)
	return a
}

// TokenIssued counts an access token issued with grant.
func (m *Metrics) TokenIssued(grant string) {
	if m != nil {
		inc(m.auth.tokens, grant)
	}
}

// ClientAuthenticated counts a client authentication's outcome.
func (m *Metrics) ClientAuthenticated(outcome string) {
	if m != nil {
		inc(m.auth.clientAuth, outcome)
	}
}

// Login counts a person's password login through channel.
func (m *Metrics) Login(channel, outcome string) {
	if m == nil {
		return
	}
	cs, ok := m.auth.logins[channel]
	if !ok {
		cs = m.auth.logins["other"]
	}
	inc(cs, outcome)
}

// MFAVerified counts a second factor checked at login.
func (m *Metrics) MFAVerified(method string, ok bool) {
	if m == nil {
		return
	}
	cs, found := m.auth.mfa[method]
	if !found {
		return
	}
	if ok {
		inc(cs, OutcomeSuccess)
	} else {
		inc(cs, OutcomeFailure)
	}
}

// RefreshTokenReused counts a detected refresh-token reuse.
func (m *Metrics) RefreshTokenReused() {
	if m != nil {
		m.auth.refreshReuse.Inc()
	}
}

// RateLimited counts a request refused by limit.
func (m *Metrics) RateLimited(limit Limit) {
	if m != nil {
		inc(m.auth.limited, string(limit))
	}
}
