package server

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"

	"keywarden/internal/store/sqlite"
)

// job is one piece of periodic background work. Every job is safe to run
// on every node at once: it reloads shared state, or makes idempotent,
// conditional changes (conditional updates, unique notice rows, FOR UPDATE
// SKIP LOCKED claims), each in short transactions of its own.
type job struct {
	name  string
	every time.Duration
	run   func(ctx context.Context) error
}

// jobs is the server's schedule: each job with its own interval.
func (s *Server) jobs() []job {
	every := s.cfg.JobInterval
	expiry := s.cfg.ExpiryNoticeInterval
	if expiry <= 0 {
		expiry = every
	}
	list := []job{
		{"signing keys", every, func(ctx context.Context) error {
			if _, err := s.tokens.Keys.RetireExpired(ctx); err != nil {
				return err
			}
			return s.tokens.Keys.Reload(ctx)
		}},
		{"deny list", every, func(ctx context.Context) error {
			if err := s.tokens.DenyList.Sync(ctx); err != nil {
				return err
			}
			if _, err := s.tokens.DenyList.Prune(ctx); err != nil {
				return err
			}
			// The jti of client assertions (private_key_jwt) past their exp.
			_, err := s.core.Credentials.DeleteExpiredAssertionIDs(ctx)
			return err
		}},
		{"auto-complete rotations", every, func(ctx context.Context) error {
			n, err := s.core.Credentials.AutoCompleteRotations(ctx)
			if n > 0 {
				s.log.Info("auto-completed rotations", "count", n)
			}
			return err
		}},
		{"delete expired refresh tokens", every, func(ctx context.Context) error {
			_, err := s.tokens.Refresh.DeleteExpired(ctx)
			return err
		}},
		{"delete expired sessions", every, func(ctx context.Context) error {
			_, err := s.core.Accounts.DeleteExpiredSessions(ctx)
			return err
		}},
		{"delete expired setup links", every, func(ctx context.Context) error {
			_, err := s.core.Accounts.DeleteExpiredSetupLinks(ctx)
			return err
		}},
		{"delete ended API tokens", every, func(ctx context.Context) error {
			_, err := s.core.Accounts.DeleteEndedAPITokens(ctx)
			return err
		}},
		{"webhook expiry notices", expiry, func(ctx context.Context) error {
			_, err := s.core.Webhooks.RunExpiry(ctx)
			return err
		}},
		{"webhook expiry summaries", expiry, func(ctx context.Context) error {
			_, err := s.core.Webhooks.RunSummaries(ctx)
			return err
		}},
		{"user.credential_required events", expiry, func(ctx context.Context) error {
			_, err := s.core.Credentials.RunCredentialRequired(ctx)
			return err
		}},
		{"catch up while not listening", s.cfg.ListenerCheck, s.catchUpWhileDeaf},
	}
	if st, ok := s.core.Store.(interface{ DB() *sql.DB }); ok && !s.cfg.IsPostgres() {
		list = append(list, job{"checkpoint the SQLite write-ahead log", s.cfg.WALCheckpointInterval, func(ctx context.Context) error {
			_, err := sqlite.Checkpoint(ctx, st.DB())
			return err
		}})
	}
	return list
}

// schedule runs each job on its own goroutine until ctx ends: run, then
// wait the job's interval. A slow run delays only the next run of its own
// job (never another job), and a job never overlaps itself.
func schedule(ctx context.Context, wg *sync.WaitGroup, log *slog.Logger, jobs []job) {
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTimer(j.every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if err := j.run(ctx); err != nil && ctx.Err() == nil {
					log.Error("background job failed", "job", j.name, "err", err)
				}
				t.Reset(j.every)
			}
		}()
	}
}
