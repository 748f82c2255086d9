// Package store is Keywarden's persistence boundary: the Store interface,
// its transaction contract and the notifications
// (Notifier) that tell every node sharing the database about a change.
//
// Backends live in subpackages (sqlite, postgres, both over sqlstore) and
// must pass the conformance suite in storetest. Every method is scoped by
// organisation where the object belongs to one; another organisation's
// object is domain.ErrNotFound.
//
// Imports: domain.
package store
