// Package api serves the /v1 admin REST API, /healthz, /readyz and the
// OpenAPI document. Handlers are small: authenticate the caller, check the
// route's permission (authz), decode strictly, call a service, render.
// Strictly means: one JSON object of exact field names, each once, no null,
// all text valid Unicode (decode, strictProblem); query parameters each
// given once (queryOf).
//
// Every error becomes an RFC 9457 problem in exactly one place
// (problemFor); a client's mistake is always a 4xx with a JSON body.
//
// Imports: pkg/apiv1, account, credential, audit, authz, httpx, domain,
// token, webhook, store (for page options and filters only).
package api
