// Package account owns organisations, their users and policy, and the
// credentials people use to call the admin API (API tokens).
//
// Passwords are argon2id hashes; API tokens are stored only as keyed
// verifiers. A failed authentication gets one uniform error whatever the
// reason, and the reason goes to the audit log.
//
// Imports: domain, store, secretvalue, keyring, audit.
package account
