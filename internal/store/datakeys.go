package store

import (
	"context"
	"time"
)

// DataKeys keeps the root data key that every other key is derived from,
// wrapped under one or more master keys (envelope encryption; package
// datakey decides what to do with them). Each method is one transaction
// of its own, and the ones that change wrappings take turns, so that two
// of them racing never remove every wrapping. They are not meant to run
// inside InTx.
type DataKeys interface {
	// DataKey returns the data key's record with every wrapping, oldest
	// first, as of one moment; domain.ErrNotFound when the store has none
	// (a new installation).
	DataKey(ctx context.Context) (DataKey, error)
	// CreateDataKey records the data key with its first wrapping: origin
	// DataKeyGenerated on a store without a data key, DataKeyFromMasterKey
	// on a pending one. Any other case, such as a key another node created
	// in the meantime, is domain.ErrConflict and changes nothing.
	CreateDataKey(ctx context.Context, origin DataKeyOrigin, w DataKeyWrapping) error
	// AddDataKeyWrapping adds a wrapping of the existing data key:
	// domain.ErrConflict when the store has one for the same key check,
	// domain.ErrNotFound when it has no wrapped data key.
	AddDataKeyWrapping(ctx context.Context, w DataKeyWrapping) error
	// RemoveDataKeyWrappings removes every wrapping but keep's (a key
	// check) and returns how many it removed; domain.ErrNotFound, removing
	// nothing, when there is no wrapping for keep.
	RemoveDataKeyWrappings(ctx context.Context, keep []byte) (int, error)
	// TouchDataKeyWrapping records that the wrapping for keyCheck was
	// opened at at; a later time never loses to an earlier one. A missing
	// wrapping is not an error.
	TouchDataKeyWrapping(ctx context.Context, keyCheck []byte, at time.Time) error
}

// DataKeyOrigin says where the data key came from.
type DataKeyOrigin string

const (
	// DataKeyPending: an installation from before envelope encryption that
	// holds data; its master key is its data key and is not wrapped yet.
	DataKeyPending DataKeyOrigin = "pending"
	// DataKeyFromMasterKey: such an installation's first master key,
	// adopted as the data key and wrapped.
	DataKeyFromMasterKey DataKeyOrigin = "master-key"
	// DataKeyGenerated: a random key made on the first start.
	DataKeyGenerated DataKeyOrigin = "generated"
)

// DataKey is the data key's record. The key itself is only ever stored
// wrapped.
type DataKey struct {
	Origin    DataKeyOrigin
	CreatedAt time.Time // zero while pending
	Wrappings []DataKeyWrapping
}

// DataKeyWrapping is the data key sealed under one master key.
type DataKeyWrapping struct {
	KeyCheck  []byte // the master key's check value (keyring.Master.Check)
	Wrapped   []byte
	CreatedAt time.Time
	OpenedAt  time.Time // the last time a process opened the data key with it
}
