// Package datakey keeps the root data key that every Keywarden key is
// derived from (envelope encryption): the store holds it wrapped under one
// or more master keys, with each master key's check value, so that a wrong
// key is told apart from an altered wrapping. It creates the data key on a
// new store, adopts the master key as the data key on an installation from
// before envelope encryption (so that nothing already stored changes),
// wraps it under a new master key (Rekey) and removes the old wrappings
// (Finish). Running processes keep the data key they unwrapped at start,
// so a rekey needs no restart and no downtime.
//
// Imports: keyring, store, audit, domain.
package datakey
