// Package keywarden is the Go SDK for Keywarden's HTTP API: every /v1
// operation (clients, secrets, rotations, refresh tokens, signing keys,
// sessions, your account and personal credential, users, policy, audit
// log, webhooks) and the server's public documents (health, readiness,
// the OpenAPI document, OAuth metadata and JWKS). The keywarden command
// line and the end-to-end tests use it, so they exercise exactly the API,
// and its authorization, that every other caller sees.
//
//	c := keywarden.New("https://keys.example.com", os.Getenv("KEYWARDEN_TOKEN"), nil)
//	client, err := c.CreateClient(ctx, apiv1.CreateClient{Name: "Billing service"})
//
// Requests and answers are the wire types of package keywarden/pkg/apiv1,
// which the server shares. Each method is named after its operation's
// operationId in api/openapi.yaml (createClient is CreateClient), and a
// test checks every method, path, parameter and field name against that
// document, so the SDK cannot drift from the API. The OAuth 2.0 token,
// introspection and revocation endpoints are not here: clients use a
// standard OAuth 2.0 library with their secrets, such as
// golang.org/x/oauth2/clientcredentials.
//
// # Errors
//
// An answer other than 2xx is an *Error. It wraps the RFC 9457 problem
// details, so errors.As with an *apiv1.Problem gives the status, the
// problem type, the detail and, for 422, every invalid field; HasStatus
// and MFARequired answer the common questions. The token is only ever
// sent in the Authorization header and never appears in an error, a URL
// or a log line; ID arguments are escaped, and an empty or dot ID is
// refused before any request.
//
// # Lists
//
// Paged lists come twice: a List method returns one page (ListOptions
// selects it), and an iterator (Clients, AuditEvents, WebhookDeliveries)
// walks every page, fetching the next one when the loop needs it:
//
//	for client, err := range c.Clients(ctx, keywarden.ClientQuery{}) {
//		if err != nil {
//			return err
//		}
//		…
//	}
//
// # Retries
//
// Only what is safe to repeat is sent again: a request with an idempotent
// method that the server answered 429 or 503, after the wait its
// Retry-After asks for. By default a request is sent at most three times
// in all and the client never waits more than ten seconds at once
// (RetryPolicy). A POST or PATCH is never repeated, nor a request whose
// answer never arrived. The context bounds the whole call, waits included.
//
// # Adding an operation
//
// When api/openapi.yaml gains an operation, say getLeakReport on
// GET /v1/clients/{client_id}/leak-reports/{id}:
//
//  1. Add its request and answer types to pkg/apiv1, with the JSON names of
//     the document's schemas, in the file of their resource.
//  2. Add one method to the resource's file here (leakreports.go for a new
//     resource), named after the operationId, with the path template copied
//     from the document and the path parameters in its order (below).
//     post, patch and del build the other methods' requests; withQuery adds
//     query parameters, anonymous leaves the token out. A paged list also
//     gets an iterator built with pages, like Clients.
//  3. Run go test ./pkg/keywarden: TestSDKMatchesOpenAPI fails until every
//     documented operation has its method and every field and parameter
//     matches. Add an example to example_test.go when the operation is one
//     that users reach for first.
//
// The method of step 2:
//
//	// GetLeakReport returns one leak report of a client.
//	func (c *Client) GetLeakReport(ctx context.Context, clientID, reportID string) (apiv1.LeakReport, error) {
//		return call[apiv1.LeakReport](ctx, c, get("/v1/clients/{client_id}/leak-reports/{id}", clientID, reportID))
//	}
//
// Imports: pkg/apiv1 (and the standard library).
package keywarden
