// Package ui serves Keywarden's web console under /ui/: server-rendered
// html/template pages with embedded templates and static assets, and no
// JavaScript build step (static/app.js only enhances: dialogs, copy,
// download, the date picker).
//
// Security invariants: every page carries a Content-Security-Policy without
// 'unsafe-inline' and Cache-Control: no-store; every POST passes Go's
// http.CrossOriginProtection and a per-session CSRF token; the session lives
// in an HttpOnly, SameSite=Strict cookie (Secure behind TLS). A secret value
// appears only in the body of the POST response that created it, never in a
// URL, a redirect, a log line or any later page.
//
// Handlers call services and hide the actions authz does not allow the
// viewer's role, and enforce the same permission on every POST.
//
// Imports: account, credential, audit, authz, token, webhook, store (list
// options and the delivery log), httpx, domain.
package ui
