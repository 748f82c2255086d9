package credential

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
)

// ImportBatch is how many clients one import transaction stores.
const ImportBatch = 2000

// maxImportLine bounds one NDJSON line of an import.
const maxImportLine = 1 << 20

// changeImported tells every node that clients were imported: each forgets
// the client IDs it remembered as unknown.
const changeImported = "clients-imported"

// ImportClient is one line of `keywarden import` (NDJSON): a client and
// its secrets, with their values. ClientID keeps a client's ID from
// another installation (a new one is made when empty).
type ImportClient struct {
	ClientID    string         `json:"client_id,omitempty"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Scopes      []string       `json:"scopes,omitempty"`
	TokenTTL    int            `json:"token_ttl_seconds,omitempty"`
	Secrets     []ImportSecret `json:"secrets"`
}

// ImportSecret is a secret of an ImportClient. A value in Keywarden's own
// format (kws_…, its checksum valid) is stored as a generated secret,
// looked up by its keyed verifier; any other value as a supplied one,
// hashed with argon2id (much slower to import and to check first).
type ImportSecret struct {
	Value        string     `json:"value"`
	Description  string     `json:"description,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	NeverExpires bool       `json:"never_expires,omitempty"`
	AllowedCIDRs []string   `json:"allowed_cidrs,omitempty"`
}

// ImportResult counts what an import stored.
type ImportResult struct {
	Clients, Secrets int
}

// ImportError is a refused import line; nothing from its batch was stored
// (the batches before it were).
type ImportError struct {
	Line int
	Err  error
}

func (e *ImportError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ImportError) Unwrap() error { return e.Err }

// ImportClients reads NDJSON clients (ImportClient, one a line) from r
// into the actor's organisation, ImportBatch clients a transaction with
// one audit event per batch (client.import: how many, the first and last
// ID); no webhook events are sent. A line that does not validate stops
// the import before its batch. progress, when set, is called after each
// batch with the totals so far.
func (s *Service) ImportClients(ctx context.Context, by domain.Actor, r io.Reader, progress func(ImportResult)) (ImportResult, error) {
	org, err := s.store.GetOrg(ctx, by.OrgID)
	if err != nil {
		return ImportResult{}, err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxImportLine)
	var total ImportResult
	var batch []importItem
	var lines []int
	line := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.importBatch(ctx, by, batch); err != nil {
			var conflict *domain.ConflictError
			if errors.As(err, &conflict) {
				return &ImportError{Line: lines[0], Err: fmt.Errorf("a client or secret of lines %d–%d exists already: %w", lines[0], lines[len(lines)-1], err)}
			}
			return err
		}
		total.Clients += len(batch)
		for _, c := range batch {
			total.Secrets += len(c.client.Secrets)
		}
		batch, lines = batch[:0], lines[:0]
		if progress != nil {
			progress(total)
		}
		return nil
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		c, err := s.importLine(by, org.Policy, []byte(text))
		if err != nil {
			return total, &ImportError{Line: line, Err: err}
		}
		batch, lines = append(batch, c), append(lines, line)
		if len(batch) == ImportBatch {
			if err := flush(); err != nil {
				return total, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return total, fmt.Errorf("line %d: %w", line+1, err)
	}
	return total, flush()
}

// importItem is a validated line: the client to store and the plain
// values of its supplied secrets (index-aligned with its secrets; zero for
// generated ones), hashed just before the batch is stored.
type importItem struct {
	client   store.ImportedClient
	supplied []secretvalue.Plaintext
}

func (s *Service) importBatch(ctx context.Context, by domain.Actor, items []importItem) error {
	// Supplied values are hashed with argon2id here, outside the
	// transaction, on every CPU.
	hashSupplied(items)
	batch := make([]store.ImportedClient, len(items))
	for i, it := range items {
		batch[i] = it.client
	}
	err := s.inTx(ctx, func(tx store.Tx) error {
		if err := tx.ImportClients(ctx, batch); err != nil {
			return fmt.Errorf("import clients: %w", err)
		}
		if err := tx.Notify(ctx, store.ChangesChannel, changeImported); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "client.import", Target: string(batch[0].Client.ID),
			Detail: map[string]string{"clients": strconv.Itoa(len(batch)), "first_client_id": string(batch[0].Client.ID),
				"last_client_id": string(batch[len(batch)-1].Client.ID)}})
	})
	if err == nil {
		s.cache.forgetUnknown()
	}
	return err
}

// hashSupplied sets the argon2id hash of every supplied secret.
func hashSupplied(items []importItem) {
	type job struct {
		x     *domain.Secret
		value secretvalue.Plaintext
	}
	var todo []job
	for i := range items {
		for j, p := range items[i].supplied {
			if !p.IsZero() {
				todo = append(todo, job{&items[i].client.Secrets[j], p})
			}
		}
	}
	var wg sync.WaitGroup
	work := make(chan job)
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Go(func() {
			for j := range work {
				j.x.Hash = secretvalue.HashSupplied(j.value)
			}
		})
	}
	for _, j := range todo {
		work <- j
	}
	close(work)
	wg.Wait()
}

// importLine validates one line as CreateClient and CreateSecret would.
func (s *Service) importLine(by domain.Actor, policy domain.Policy, text []byte) (importItem, error) {
	var in ImportClient
	dec := json.NewDecoder(strings.NewReader(string(text)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return importItem{}, fmt.Errorf("not an import client object: %w", err)
	}
	var v domain.ValidationError
	in.Name = strings.TrimSpace(in.Name)
	validText(&v, "name", in.Name, true, MaxNameLen)
	validText(&v, "description", in.Description, false, MaxDescriptionLen)
	scopes := normalizeScopes(&v, in.Scopes)
	validTTL(&v, in.TokenTTL)
	id := domain.ClientID(in.ClientID)
	if in.ClientID == "" {
		id = domain.NewClientID()
	} else if !id.Valid() {
		v.Add("client_id", "not a Keywarden client ID (kwc_…)")
	}
	if len(in.Secrets) > MaxActiveSecrets {
		v.Add("secrets", fmt.Sprintf("at most %d secrets a client", MaxActiveSecrets))
	}
	if err := v.Err(); err != nil {
		return importItem{}, err
	}
	now := s.clock()
	var out importItem
	out.client = store.ImportedClient{Client: domain.Client{ID: id, OrgID: by.OrgID, Name: in.Name, Description: in.Description,
		Scopes: scopes, TokenTTL: in.TokenTTL, CreatedAt: now, UpdatedAt: now}}
	for i, sec := range in.Secrets {
		field := fmt.Sprintf("secrets[%d]", i)
		var v domain.ValidationError
		if sec.Description == "" {
			sec.Description = "imported"
		}
		validText(&v, field+".description", sec.Description, true, MaxSecretDescriptionLen)
		cidrs := normalizeCIDRs(&v, sec.AllowedCIDRs)
		expires, err := policy.ResolveExpiry(field+".expires_at", by.Role, now, sec.ExpiresAt, sec.NeverExpires)
		if err != nil {
			return importItem{}, err
		}
		x := domain.Secret{ID: domain.NewSecretID(), OrgID: by.OrgID, ClientID: id, Description: sec.Description,
			CreatedAt: now, CreatedBy: by.ID, ExpiresAt: expires, AllowedCIDRs: cidrs}
		var value secretvalue.Plaintext
		if secretvalue.LooksGenerated(secretvalue.PrefixClientSecret, sec.Value) {
			p, err := secretvalue.Parse(secretvalue.PrefixClientSecret, sec.Value)
			if err != nil {
				v.Add(field+".value", "starts with "+secretvalue.PrefixClientSecret+" but its checksum is wrong")
			}
			value = p
			x.Origin, x.Verifier, x.Digest = domain.OriginGenerated, secretvalue.Verifier(s.verifierKey, p), secretvalue.Digest(p)
		} else {
			p, err := secretvalue.Supplied(sec.Value, secretvalue.MinSuppliedLength)
			if err != nil {
				v.Add(field+".value", err.Error())
			}
			value = p
			x.Origin = domain.OriginSupplied // hashSupplied sets the hash
		}
		if err := v.Err(); err != nil {
			return importItem{}, err
		}
		x.Hint = value.Hint()
		x.Sealed = s.keys.Seal([]byte(value.Reveal()), []byte(x.ID))
		out.client.Secrets = append(out.client.Secrets, x)
		if x.Origin == domain.OriginSupplied {
			out.supplied = append(out.supplied, value)
		} else {
			out.supplied = append(out.supplied, secretvalue.Plaintext{})
		}
	}
	return out, nil
}
