// Package keyring owns Keywarden's keys: the root data key and the HKDF
// sub-keys derived from it per purpose (verifier HMACs, audit chain,
// sealing, console), AES-256-GCM sealing of sensitive columns, and the
// master key (Master), which only wraps and unwraps the data key
// (envelope encryption: package datakey keeps the wrappings in the store).
//
// The master key comes from configuration; in development mode it is
// generated into the data directory with mode 0600 on first start.
//
// Imports: no internal packages (stdlib only).
package keyring
