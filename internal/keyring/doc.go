// Package keyring owns the master key and everything derived from it: HKDF
// sub-keys per purpose (verifier HMACs, audit chain, sealing) and
// AES-256-GCM sealing of sensitive columns.
//
// The master key comes from configuration; in development mode it is
// generated into the data directory with mode 0600 on first start.
//
// Imports: no internal packages (stdlib only).
package keyring
