package account_test

import (
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
)

// TestLoginMetrics: each login counts once by channel and outcome, a
// second factor by method and outcome, and a refusal by its limit.
func TestLoginMetrics(t *testing.T) {
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := metrics.New()
	e := newEnvOn(t, st, func(o *account.Options) { o.Metrics = reg })
	ctx := t.Context()
	by, pw := e.member(t, "ada@acme.test", domain.RoleDeveloper)
	secret, recovery := e.enrol(t, by)
	login := func(channel, password, totp, rec, source string) {
		e.svc.Login(ctx, account.LoginInput{Email: "ada@acme.test", Password: password, TOTPCode: totp, RecoveryCode: rec,
			Source: source, Channel: channel})
	}
	login(account.ChannelConsole, pw, "", "", "192.0.2.1")                                          // asks for the code
	login(account.ChannelConsole, pw, "000000", "", "192.0.2.1")                                    // a wrong code
	e.clock.Add(30 * time.Second)                                                                   // enrolment used this step's code
	login(account.ChannelConsole, pw, code(t, secret, e.clock.Now()), "", "192.0.2.1")              // right
	login(account.ChannelAPI, pw, "", recovery[0], "192.0.2.2")                                     // a recovery code
	login(account.ChannelAPI, "a wrong password!", "", "", "192.0.2.3")                             // wrong password: no code checked
	login(account.ChannelAPI, "a wrong password!", code(t, secret, e.clock.Now()), "", "192.0.2.3") // nor here
	for range account.LoginFailureBurst {
		login(account.ChannelAPI, "a wrong password!", "", "", "198.51.100.7")
	}
	login(account.ChannelAPI, pw, "", "", "198.51.100.7") // refused

	for series, want := range map[string]float64{
		`keywarden_logins_total{channel="console",outcome="mfa_required"}`:       1,
		`keywarden_logins_total{channel="console",outcome="failure"}`:            1,
		`keywarden_logins_total{channel="console",outcome="success"}`:            1,
		`keywarden_logins_total{channel="api",outcome="success"}`:                1,
		`keywarden_logins_total{channel="api",outcome="failure"}`:                2 + account.LoginFailureBurst,
		`keywarden_logins_total{channel="api",outcome="rate_limited"}`:           1,
		`keywarden_mfa_verifications_total{method="totp",outcome="failure"}`:     1,
		`keywarden_mfa_verifications_total{method="totp",outcome="success"}`:     1,
		`keywarden_mfa_verifications_total{method="recovery",outcome="success"}`: 1,
		`keywarden_rate_limited_total{limit="login_account"}`:                    1,
	} {
		if got := testkit.Metric(t, reg.Handler(), series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}
