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
// Each route names the operation it does (authz.Operation): the console
// needs the permission the API's route for the same operation needs.
// Templates hide the actions the viewer's role may not do. An error page
// shows the status and message the API would give (package problem).
//
// The guides (docs/*.md, embedded by package docs and handed over as
// Handler.Docs) are shown at /ui/docs/NAME by a small Markdown renderer
// that escapes everything, so that help links point at a served address.
//
// Imports: problem, account, credential, audit, authz, token, webhook, federation,
// httpx, domain, secretvalue.
package ui
