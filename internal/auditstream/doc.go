// Package auditstream sends the audit log to SIEMs, at least once and in
// chain order: syslog (RFC 5424) over TCP or TLS with octet-counting
// framing (RFC 6587 §3.4.1, RFC 5425), and HTTP JSON lines (plain NDJSON,
// or Splunk HEC events).
//
// The audit log is the outbox: an event is written in the transaction of
// the change it records, so a committed change always has its event, and
// a stream is only a position in the chain (store.AuditStreams). A node
// sends a stream while it holds the stream's lease; it moves the position
// forward once the receiver has the batch (an HTTP 2xx; for syslog, the
// connection still open at the next round, see Syslog), so a crash of
// either side resends the batch in flight and loses nothing. Every record
// carries the event's sequence number, hash and previous hash, so a
// receiver can drop a duplicate and see that nothing is missing; the
// chain's checkpoints are events (audit.checkpoint) and travel with the
// rest.
//
// Organisations configure their own streams through the API (Service:
// validated with the webhooks' SSRF guard, the token sealed with the
// keyring, create and delete audited); the Streamer reads them from the
// table every interval and sends each only its organisation's events. The
// node sending a stream records each failed round in the store (failures
// in a row, the last error; a delivery resets the count), and Service.Lag
// tells how far a stream is behind its organisation's log: what
// GET /v1/audit/streams shows an operator.
//
// Imports: store, domain, audit, keyring, webhook (its Guard).
package auditstream
