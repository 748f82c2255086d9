// Package webhooksig signs and verifies Keywarden webhook deliveries. It is
// the receiver's side of Keywarden's webhooks, and it imports nothing but
// the standard library, so any Go service can use it.
//
// Every delivery carries two kinds of signature:
//
//   - Standard Webhooks (https://www.standardwebhooks.com): the headers
//     webhook-id, webhook-timestamp (Unix seconds) and webhook-signature,
//     which holds one "v1,<base64 HMAC-SHA256>" of "id.timestamp.body" per
//     active secret of the client, separated by spaces. A receiver that
//     knows any one of the client's active secrets verifies, so it keeps
//     working through a rotation. The timestamp is signed, which is what
//     makes the tolerance check a protection against replay.
//   - X-Keywarden-Hmac-Sha256 (the style Shopify uses): base64 HMAC-SHA256
//     of the raw body under the client's oldest active secret (the oldest
//     secret that is neither revoked nor expired). It covers the body only,
//     so it carries no replay protection of its own.
//
// Verify checks the Standard Webhooks headers and nothing else: a delivery
// with only the HMAC header does not verify there. VerifyHMACOnly is the
// explicit check of the HMAC header alone, for receivers that must use it
// and drop repeated bodies themselves.
//
// An endpoint can also carry Standard Webhooks v1a signatures:
// "v1a,<base64 Ed25519 signature>" of the same "id.timestamp.body", under
// signing keys Keywarden keeps for the client. A receiver verifies them
// with VerifyPublicKeys and the public keys alone ("whpk_…",
// ParsePublicKey), holding no secret that could mint tokens. During a
// key rotation the delivery carries one v1a signature per key.
//
// The HMAC key of a client secret is the secret's UTF-8 bytes (Key). The
// Standard Webhooks libraries take keys as "whsec_" + base64(key); use
// StandardWebhooksSecret to turn a Keywarden client secret into that form.
// An organisation endpoint's signing secret is already in that form
// ("whsec_…"): pass it to Verify as it is (Key decodes it), and to the
// official libraries as it is.
//
// Imports: the standard library only.
package webhooksig
