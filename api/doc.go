// Package api embeds the OpenAPI 3 document of Keywarden's HTTP API
// (openapi.yaml), served at /openapi.yaml and checked against the real
// routes and responses by internal/api's tests.
//
// Imports: nothing.
package api

import _ "embed"

// OpenAPI is the document's bytes.
//
//go:embed openapi.yaml
var OpenAPI []byte
