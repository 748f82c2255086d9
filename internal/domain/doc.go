// Package domain holds Keywarden's entity types (webhook messages and
// deliveries included), their typed IDs (OrgID, ClientID, SecretID, …)
// and kinds (ActorKind, RotationState, WebhookStatus), their state rules,
// list paging and cursors, and the errors every layer shares (ErrNotFound, ErrConflict,
// ErrForbidden, *ValidationError).
//
// Business rules that need no storage live here as methods (Secret.State,
// Policy.ResolveExpiry, Rotation.State) so they can be table-tested without
// a database.
//
// Imports: the standard library only. Imported by every other internal package.
package domain
