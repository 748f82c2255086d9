// Package account owns organisations, their users and policy, and the
// credentials people use to call the admin API (API tokens).
//
// Passwords are argon2id hashes; API tokens are stored only as keyed
// verifiers. A failed authentication gets one uniform error whatever the
// reason, and the reason goes to the audit log.
//
// A login takes its rate limits first (per email at the address, per
// address, per email from any address it has not succeeded from), checks
// the password through the shared slowhash gate (a dummy hash for an
// unknown email) against the user as read, then opens
// the session in a transaction that holds the user's row: it fails if the
// user was disabled or the password changed meanwhile, and consumes the
// TOTP step or recovery code there, once. A change that could leave the
// organisation without an enabled super admin holds the organisation's
// super admins while it decides (store.Locks).
//
// Imports: domain, store, secretvalue, keyring, audit, ratelimit, slowhash, metrics.
package account
