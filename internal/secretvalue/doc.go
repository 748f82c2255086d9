// Package secretvalue owns the format of every secret value Keywarden hands
// out (client secrets, API tokens, refresh tokens): generation from a CSPRNG,
// a prefix and a CRC32 checksum so that malformed or mistyped values are
// rejected before any store lookup, and the verifiers the store keeps instead
// of values (keyed HMAC-SHA256 for generated values, argon2id for values a
// user supplied). A stored argon2id hash that is malformed or asks for
// out-of-bounds work is ErrMalformedHash (CheckSupplied), never a panic.
//
// A Plaintext prints and logs as its hint only.
//
// Imports: no internal packages (stdlib and golang.org/x/crypto).
package secretvalue
