package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// The data key methods run in transactions of their own (dataKeyTx), not
// in a caller's: a master-key change is one small transaction that only
// touches these two tables. Every change of the wrappings first locks the
// data_key row, so that they take turns on PostgreSQL too (SQLite's
// immediate transactions already do).

func (s *Store) DataKey(ctx context.Context) (store.DataKey, error) {
	// One statement, so one snapshot: the record and its wrappings agree.
	rows, err := s.query(ctx, `SELECT d.origin, d.created_at, w.key_check, w.wrapped, w.created_at, w.opened_at
		FROM data_key d LEFT JOIN data_key_wrappings w ON 1 = 1
		WHERE d.id = 1 ORDER BY w.created_at, w.key_check`)
	if err != nil {
		return store.DataKey{}, err
	}
	defer rows.Close()
	var k store.DataKey
	found := false
	for rows.Next() {
		var origin string
		var created int64
		var check, wrapped []byte
		var wCreated, wOpened sql.NullInt64
		if err := rows.Scan(&origin, &created, &check, &wrapped, &wCreated, &wOpened); err != nil {
			return store.DataKey{}, err
		}
		if !found {
			found = true
			k.Origin = store.DataKeyOrigin(origin)
			if created != 0 {
				k.CreatedAt = fromMicros(created)
			}
		}
		if check != nil {
			k.Wrappings = append(k.Wrappings, store.DataKeyWrapping{KeyCheck: check, Wrapped: wrapped,
				CreatedAt: fromMicros(wCreated.Int64), OpenedAt: fromMicros(wOpened.Int64)})
		}
	}
	if err := rows.Err(); err != nil {
		return store.DataKey{}, err
	}
	if !found {
		return store.DataKey{}, domain.ErrNotFound
	}
	return k, nil
}

func (s *Store) CreateDataKey(ctx context.Context, origin store.DataKeyOrigin, w store.DataKeyWrapping) error {
	if err := checkWrapping(w); err != nil {
		return err
	}
	return s.dataKeyTx(ctx, func(tx *sql.Tx) error {
		switch origin {
		case store.DataKeyGenerated:
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO data_key (id, origin, created_at) VALUES (1, ?, ?)`), string(origin), micros(w.CreatedAt))
			if err != nil {
				return s.conflict(err, "the store already has a data key")
			}
		case store.DataKeyFromMasterKey:
			res, err := tx.ExecContext(ctx, s.q(`UPDATE data_key SET origin = ?, created_at = ? WHERE id = 1 AND origin = ?`),
				string(origin), micros(w.CreatedAt), string(store.DataKeyPending))
			if err := mustAffect(res, err); errors.Is(err, domain.ErrNotFound) {
				return domain.Conflict("the store has no pending data key")
			} else if err != nil {
				return err
			}
		default:
			return fmt.Errorf("create data key: origin %q", origin)
		}
		return s.insertWrapping(ctx, tx, w)
	})
}

func (s *Store) AddDataKeyWrapping(ctx context.Context, w store.DataKeyWrapping) error {
	if err := checkWrapping(w); err != nil {
		return err
	}
	return s.dataKeyTx(ctx, func(tx *sql.Tx) error {
		var origin string
		err := tx.QueryRowContext(ctx, s.q(`SELECT origin FROM data_key WHERE id = 1`+s.dialect.LockSuffix())).Scan(&origin)
		if err := notFound(err); err != nil {
			return err
		}
		if store.DataKeyOrigin(origin) == store.DataKeyPending {
			return domain.ErrNotFound
		}
		return s.insertWrapping(ctx, tx, w)
	})
}

func (s *Store) RemoveDataKeyWrappings(ctx context.Context, keep []byte) (int, error) {
	var n int64
	err := s.dataKeyTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM data_key WHERE id = 1`+s.dialect.LockSuffix())).Scan(&one)
		if err := notFound(err); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM data_key_wrappings WHERE key_check = ?`), keep).Scan(&one)
		if err := notFound(err); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM data_key_wrappings WHERE key_check <> ?`), keep)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

func (s *Store) TouchDataKeyWrapping(ctx context.Context, keyCheck []byte, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE data_key_wrappings SET opened_at = ? WHERE key_check = ? AND opened_at < ?`,
		micros(at), keyCheck, micros(at))
	return err
}

func (s *Store) insertWrapping(ctx context.Context, tx *sql.Tx, w store.DataKeyWrapping) error {
	opened := w.OpenedAt
	if opened.IsZero() {
		opened = w.CreatedAt
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO data_key_wrappings (key_check, wrapped, created_at, opened_at) VALUES (?, ?, ?, ?)`),
		w.KeyCheck, w.Wrapped, micros(w.CreatedAt), micros(opened))
	return s.conflict(err, "the data key is already wrapped under this master key")
}

func checkWrapping(w store.DataKeyWrapping) error {
	if len(w.KeyCheck) == 0 || len(w.Wrapped) == 0 || w.CreatedAt.IsZero() {
		return errors.New("data key wrapping: key check, wrapping and creation time are required")
	}
	return nil
}

// dataKeyTx runs fn in a transaction of its own, again after a
// serialization failure.
func (s *Store) dataKeyTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.tx != nil {
		return errors.New("data key methods run in a transaction of their own, not inside InTx")
	}
	var err error
	for attempt := range maxTxAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
			}
		}
		err = s.runDataKeyTx(ctx, fn)
		if err == nil || !s.dialect.IsRetryable(err) {
			return err
		}
	}
	return err
}

func (s *Store) runDataKeyTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
