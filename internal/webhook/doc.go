// Package webhook owns Keywarden's webhooks: the events about a client's
// credentials and an organisation's users and endpoints, the outbox they
// are written to (for a client's endpoint and for the organisation's own
// endpoints), the dispatcher that signs
// and delivers them on a retry schedule (Retry-After honoured), the SSRF
// guard on the way out, the endpoint's health stages (failing, retries
// exhausted, disabled, recovered), the delivery log, redelivery and replay
// since a time, retention of payloads, the optional Ed25519 (v1a) signing
// keys, the organisation endpoints (their whsec_ signing secrets and
// rotation), and the schedulers that send expiry notices and the daily
// expiry summary.
//
// The invariants that matter:
//   - An event is written to the outbox by Outbox.Enqueue in the same store
//     transaction as the change it describes, so a crash can never commit
//     the change without its event, or the event without the change.
//   - Delivery is at least once. A message is claimed for one attempt by
//     leasing it (its next attempt moves past the delivery timeout); a node
//     that dies mid-delivery leaves a lease that runs out, and the message
//     is delivered again with the same webhook-id.
//   - Every attempt is signed at send time with the client's active secrets
//     (all of them in webhook-signature; the oldest in
//     X-Keywarden-Hmac-Sha256), read from their sealed copies. A secret's
//     value is never logged, stored in the clear or put in a payload.
//   - Each expiry notice is sent once, whatever the number of nodes: a
//     unique row per (secret, notice, expiry) is the gate. A pass reads
//     only the secrets whose next notice is due (the store keeps when, per
//     secret; the scheduler moves it on as it records a notice), so a pass
//     with nothing due is one empty index range.
//   - An endpoint is disabled only when a delivery has run out of retries
//     and the endpoint failed without a success for DisableAfter; each
//     stage is audited once per failing streak, in the transaction of the
//     attempt that reached it.
//   - An organisation endpoint's signing secret exists only sealed with
//     the keyring (the endpoint's ID as associated data), in the answer
//     that creates or rotates it, and in memory while an attempt is
//     signed. During a rotation's overlap both secrets sign.
//   - A health stage of an endpoint is also an event for the
//     organisation's endpoints, enqueued in the transaction that audits
//     it; an organisation endpoint's own stages never go to itself.
//   - Each organisation's expiry summary is sent once a day, whatever the
//     number of nodes: a unique row per (organisation, day) is the gate.
//   - A v1a signing key's private half exists only sealed with the
//     keyring (its ID bound as associated data) and in memory while an
//     attempt is signed.
//
// Imports: domain, store, keyring, audit, pkg/webhooksig, metrics.
// Imported by: credential, token, api, server.
package webhook
