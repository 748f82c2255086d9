// Package leak answers leak reports: values that a scanner or a person
// found exposed. It checks each value's format and checksum first (a
// look-alike costs nothing and changes nothing), then hands it to the
// service that owns its kind — client secrets and personal credentials to
// credential, refresh tokens to token, admin API tokens and sessions to
// account — which respond in one transaction: revoke (or, for secrets and
// by the organisation's policy, quarantine), record the leak once, audit
// it with where it was found, and send the webhooks. The reporter learns
// only a label per value, never which organisation or client it was.
//
// Two ways in: the generic report (Service.Report, POST /v1/leaks, for an
// admin or the installation's leak-reporter token), and GitHub's
// secret-scanning partner program (GitHub, POST /v1/leaks/github): a
// report signed with ECDSA P-256 under one of the keys GitHub publishes,
// fetched through the webhooks' SSRF guard and cached, or read from a
// file; an exact replay of a signed report is refused (docs/leaks.md).
//
// Imports: domain, secretvalue.
package leak
