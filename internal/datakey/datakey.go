package datakey

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
)

// ErrWrongMasterKey means the master key is not one the store's data key
// is wrapped under: a configuration mistake, not tampering.
var ErrWrongMasterKey = errors.New("wrong master key")

// ErrWrappingAltered means the store has a wrapping for this master key
// (the key check matches) that does not open: the row was altered or
// damaged.
var ErrWrappingAltered = errors.New("the data key's wrapping for this master key does not open: the data_key_wrappings table was altered or damaged (restore it from a backup)")

// ErrStillInUse means Finish found another master key opening the store
// after the current key's wrapping was made: a node would fail at its next
// start.
var ErrStillInUse = errors.New("another master key is still in use")

// Service opens, rewraps and reports the data key of one store.
type Service struct {
	store store.Store
	now   func() time.Time
}

// New returns the Service for st; now is time.Now when nil.
func New(st store.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, now: now}
}

// Open returns the keyring of the store's data key, unwrapped with the
// master key, and records that it was opened with it. On a new store it
// creates a random data key wrapped under the master key; on a store from
// before envelope encryption (pending) it adopts the master key itself as
// the data key, after checking it against the audit chain, so that every
// verifier, sealed value and audit hash already stored stays valid.
// Several processes opening one new store at once agree on one key.
func (s *Service) Open(ctx context.Context, master []byte) (*keyring.Keyring, error) {
	m, err := keyring.NewMaster(master)
	if err != nil {
		return nil, err
	}
	dk, err := s.open(ctx, m, master)
	if err != nil {
		return nil, err
	}
	if err := s.store.TouchDataKeyWrapping(ctx, m.Check(), s.at()); err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	return keyring.New(dk)
}

func (s *Service) at() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// open returns the data key, creating or adopting it when the store has
// none yet. Losing a race to create it reads the winner's.
func (s *Service) open(ctx context.Context, m *keyring.Master, master []byte) ([]byte, error) {
	for range 3 {
		k, err := s.store.DataKey(ctx)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			dk := keyring.NewDataKey()
			err = s.create(ctx, m, store.DataKeyGenerated, dk)
			if err == nil {
				return dk, nil
			}
		case err != nil:
			return nil, fmt.Errorf("data key: %w", err)
		case k.Origin == store.DataKeyPending:
			if err := s.checkLegacy(ctx, master); err != nil {
				return nil, err
			}
			err = s.create(ctx, m, store.DataKeyFromMasterKey, master)
			if err == nil {
				return bytes.Clone(master), nil
			}
		default:
			return unwrap(k, m)
		}
		if !errors.Is(err, domain.ErrConflict) {
			return nil, fmt.Errorf("data key: %w", err)
		}
	}
	return nil, errors.New("data key: the store's data key kept changing while it was read")
}

func (s *Service) create(ctx context.Context, m *keyring.Master, origin store.DataKeyOrigin, dk []byte) error {
	w, err := m.Wrap(dk)
	if err != nil {
		return err
	}
	now := s.at()
	return s.store.CreateDataKey(ctx, origin, store.DataKeyWrapping{KeyCheck: m.Check(), Wrapped: w, CreatedAt: now, OpenedAt: now})
}

// checkLegacy checks a master key against a store from before envelope
// encryption, where it would be the data key: the audit chain's last
// event must hash under the key derived from it. A store with no audit
// event accepts any key (nothing derived from one is checked there).
func (s *Service) checkLegacy(ctx context.Context, master []byte) error {
	kr, err := keyring.New(master)
	if err != nil {
		return err
	}
	ok, err := audit.New(s.store, kr.Derive(keyring.PurposeAudit), nil).HeadMatches(ctx)
	if err != nil {
		return fmt.Errorf("check the master key against the audit chain: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: this installation's data was made under another master key (the audit chain's last event does not verify under this one)", ErrWrongMasterKey)
	}
	return nil
}

// unwrap opens the wrapping of k made under m.
func unwrap(k store.DataKey, m *keyring.Master) ([]byte, error) {
	w, ok := find(k, m.Check())
	if !ok {
		return nil, wrongKey(k, m)
	}
	dk, err := m.Unwrap(w.Wrapped)
	if err != nil {
		return nil, ErrWrappingAltered
	}
	return dk, nil
}

func wrongKey(k store.DataKey, m *keyring.Master) error {
	ids := make([]string, len(k.Wrappings))
	for i, w := range k.Wrappings {
		ids[i] = KeyID(w.KeyCheck)
	}
	return fmt.Errorf("%w: this is key %s, and the store opens only with key %s (use the master key this store was set up or last rekeyed with)",
		ErrWrongMasterKey, KeyID(m.Check()), strings.Join(ids, " or "))
}

func find(k store.DataKey, check []byte) (store.DataKeyWrapping, bool) {
	for _, w := range k.Wrappings {
		if bytes.Equal(w.KeyCheck, check) {
			return w, true
		}
	}
	return store.DataKeyWrapping{}, false
}

// KeyID names a master key by the start of its key check value: enough to
// tell keys apart in a status, nothing about the key.
func KeyID(check []byte) string {
	if len(check) > 4 {
		check = check[:4]
	}
	return hex.EncodeToString(check)
}

// Check reports whether master opens the store's data key, changing
// nothing: nil for a store without a data key yet, the audit-chain check
// for a pending one. Restore uses it before it puts a backup in place.
func (s *Service) Check(ctx context.Context, master []byte) error {
	m, err := keyring.NewMaster(master)
	if err != nil {
		return err
	}
	k, err := s.store.DataKey(ctx)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("data key: %w", err)
	case k.Origin == store.DataKeyPending:
		return s.checkLegacy(ctx, master)
	}
	_, err = unwrap(k, m)
	return err
}

// RekeyResult is what Rekey did.
type RekeyResult struct {
	KeyID string // the new master key's
	// Already is true when the data key was wrapped under the new key
	// before (Rekey ran twice): nothing changed.
	Already   bool
	Wrappings int // how many master keys open the data key now
}

// Rekey wraps the data key, opened with the current master key, under the
// next one too, in one small transaction: no other row changes. Both keys
// open the store until Finish removes the other wrappings, so that nodes
// can restart with the new key one at a time; running nodes keep the data
// key they unwrapped at start and notice nothing.
func (s *Service) Rekey(ctx context.Context, current, next []byte) (RekeyResult, error) {
	cur, err := keyring.NewMaster(current)
	if err != nil {
		return RekeyResult{}, fmt.Errorf("current master key: %w", err)
	}
	nm, err := keyring.NewMaster(next)
	if err != nil {
		return RekeyResult{}, fmt.Errorf("new master key: %w", err)
	}
	if bytes.Equal(cur.Check(), nm.Check()) {
		return RekeyResult{}, errors.New("the new master key is the current one")
	}
	dk, err := s.open(ctx, cur, current)
	if err != nil {
		return RekeyResult{}, err
	}
	res := RekeyResult{KeyID: KeyID(nm.Check())}
	for range 2 {
		k, err := s.store.DataKey(ctx)
		if err != nil {
			return RekeyResult{}, fmt.Errorf("data key: %w", err)
		}
		if w, ok := find(k, nm.Check()); ok {
			got, err := nm.Unwrap(w.Wrapped)
			if err != nil || !bytes.Equal(got, dk) {
				return RekeyResult{}, ErrWrappingAltered
			}
			res.Already, res.Wrappings = true, len(k.Wrappings)
			return res, nil
		}
		wrapped, err := nm.Wrap(dk)
		if err != nil {
			return RekeyResult{}, err
		}
		now := s.at()
		err = s.store.AddDataKeyWrapping(ctx, store.DataKeyWrapping{KeyCheck: nm.Check(), Wrapped: wrapped, CreatedAt: now, OpenedAt: now})
		if err == nil {
			res.Wrappings = len(k.Wrappings) + 1
			return res, s.record(ctx, dk, "master_key.add", res.KeyID, map[string]string{"previous_key": KeyID(cur.Check())})
		}
		if !errors.Is(err, domain.ErrConflict) { // a concurrent Rekey to the same key: check what it wrote
			return RekeyResult{}, fmt.Errorf("data key: %w", err)
		}
	}
	return RekeyResult{}, errors.New("data key: the wrappings kept changing while rekeying")
}

// Finish removes every wrapping but the current master key's: from then on
// only that key opens the store, and the others can be destroyed. Unless
// force is set, it refuses (ErrStillInUse) while another key has opened
// the store after the current key's wrapping was made, since a node that
// starts with that key would then fail.
func (s *Service) Finish(ctx context.Context, current []byte, force bool) (int, error) {
	m, err := keyring.NewMaster(current)
	if err != nil {
		return 0, err
	}
	k, err := s.store.DataKey(ctx)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			err = errors.New("the store has no data key yet (start the server once)")
		}
		return 0, fmt.Errorf("data key: %w", err)
	}
	if k.Origin == store.DataKeyPending {
		return 0, errors.New("data key: the store has not been opened since the upgrade to envelope encryption (start the server once)")
	}
	dk, err := unwrap(k, m)
	if err != nil {
		return 0, err
	}
	mine, _ := find(k, m.Check())
	if !force {
		for _, w := range k.Wrappings {
			if bytes.Equal(w.KeyCheck, mine.KeyCheck) {
				continue
			}
			if w.CreatedAt.After(mine.CreatedAt) {
				return 0, fmt.Errorf("%w: master key %s was added (%s) after this one (%s): finish with the newest key, or pass --force",
					ErrStillInUse, KeyID(w.KeyCheck), w.CreatedAt.Format(time.RFC3339), mine.CreatedAt.Format(time.RFC3339))
			}
			if w.OpenedAt.After(mine.CreatedAt) {
				return 0, fmt.Errorf("%w: master key %s opened the store at %s, after this key's wrapping was made (%s): a node still starts with it and would fail at its next start; restart it with the new key, or pass --force",
					ErrStillInUse, KeyID(w.KeyCheck), w.OpenedAt.Format(time.RFC3339), mine.CreatedAt.Format(time.RFC3339))
			}
		}
	}
	n, err := s.store.RemoveDataKeyWrappings(ctx, m.Check())
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) { // removed by a concurrent Finish with another key
			return 0, fmt.Errorf("%w: its wrapping was removed while finishing", ErrWrongMasterKey)
		}
		return 0, fmt.Errorf("data key: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	removed := make([]string, 0, len(k.Wrappings)-1)
	for _, w := range k.Wrappings {
		if !bytes.Equal(w.KeyCheck, m.Check()) {
			removed = append(removed, KeyID(w.KeyCheck))
		}
	}
	return n, s.record(ctx, dk, "master_key.remove_others", KeyID(m.Check()), map[string]string{"removed": strings.Join(removed, ",")})
}

// record appends an installation-wide audit event (the change it
// describes has committed: a failure here is reported, the change stays).
func (s *Service) record(ctx context.Context, dk []byte, action, target string, detail map[string]string) error {
	kr, err := keyring.New(dk)
	if err != nil {
		return err
	}
	log := audit.New(s.store, kr.Derive(keyring.PurposeAudit), s.now)
	if err := log.Record(ctx, audit.Entry{Actor: domain.System("", "rekey"), Action: action, Target: target, Detail: detail}); err != nil {
		return fmt.Errorf("the change is made, but its audit event was not recorded: %w", err)
	}
	return nil
}

// Status describes the data key and the master keys that open it.
type Status struct {
	Origin    store.DataKeyOrigin
	CreatedAt time.Time
	Keys      []KeyStatus
}

// KeyStatus is one master key's wrapping.
type KeyStatus struct {
	ID        string
	Current   bool // the master key Status was given
	CreatedAt time.Time
	OpenedAt  time.Time
}

// Status reports the data key. current, when not nil, marks that master
// key's wrapping; it is not checked further.
func (s *Service) Status(ctx context.Context, current []byte) (Status, error) {
	var check []byte
	if current != nil {
		m, err := keyring.NewMaster(current)
		if err != nil {
			return Status{}, err
		}
		check = m.Check()
	}
	k, err := s.store.DataKey(ctx)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return Status{}, errors.New("the store has no data key yet (start the server once)")
		}
		return Status{}, fmt.Errorf("data key: %w", err)
	}
	st := Status{Origin: k.Origin, CreatedAt: k.CreatedAt}
	for _, w := range k.Wrappings {
		st.Keys = append(st.Keys, KeyStatus{ID: KeyID(w.KeyCheck), Current: bytes.Equal(w.KeyCheck, check), CreatedAt: w.CreatedAt, OpenedAt: w.OpenedAt})
	}
	return st, nil
}
