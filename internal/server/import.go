package server

import (
	"context"
	"errors"
	"fmt"
	"io"

	"keywarden/internal/config"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

// ImportBatch is how many clients one transaction of ImportClients stores.
const ImportBatch = credential.ImportBatch

// ImportClients reads NDJSON clients from r into organisation org of
// cfg's existing store (credential.Service.ImportClients, acting as the
// local command "keywarden import" with a super admin's expiry limits).
// progress gets the totals after each batch. It returns what it imported,
// also when it stops on an error.
func ImportClients(ctx context.Context, cfg config.Config, org string, r io.Reader, progress func(clients, secrets int)) (clients, secrets int, err error) {
	if err := CheckExisting(cfg); err != nil {
		return 0, 0, err
	}
	core, err := OpenCore(ctx, cfg)
	if err != nil {
		return 0, 0, err
	}
	defer core.Close()
	return importClients(ctx, core, org, r, progress)
}

func importClients(ctx context.Context, core *Core, org string, r io.Reader, progress func(clients, secrets int)) (int, int, error) {
	by := domain.System(domain.OrgID(org), "keywarden import")
	by.Role = domain.RoleSuperAdmin
	var report func(credential.ImportResult)
	if progress != nil {
		report = func(r credential.ImportResult) { progress(r.Clients, r.Secrets) }
	}
	res, err := core.Credentials.ImportClients(ctx, by, r, report)
	if errors.Is(err, domain.ErrNotFound) && res.Clients == 0 {
		err = fmt.Errorf("organisation %q not found", org)
	}
	return res.Clients, res.Secrets, err
}
