// Package api serves the /v1 admin REST API, /healthz, /readyz and the
// OpenAPI document. Handlers are small: authenticate the caller, check the
// route's permission (authz), decode strictly, call a service, render.
// Strictly means: one JSON object of exact field names, each once, no null,
// all text valid Unicode (decode, strictProblem); query parameters each
// given once (queryOf).
//
// Every error becomes an RFC 9457 problem through package problem, the
// mapping the console uses too; a client's mistake is always a 4xx with a
// JSON body. Each route names its operation (authz.Operation).
//
// Imports: pkg/apiv1, problem, account, credential, audit, auditstream, federation,
// authz, httpx, domain, secretvalue, token, webhook, leak, dpop.
package api
