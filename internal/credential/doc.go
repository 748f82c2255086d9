// Package credential owns API clients and their secrets: creating, editing,
// rotating and revoking them under the organisation's policy.
//
// Every change runs in one store transaction together with its audit event,
// so a crash can never leave a revoked secret unaudited. A secret value
// exists in plain text only in the result of the call that created it.
//
// Every change that a client's webhook endpoint hears about enqueues its
// event (webhook.Outbox) in that same transaction.
//
// Imports: domain, store, secretvalue, keyring, audit, webhook.
package credential
