// Package provider is the Terraform/OpenTofu provider for Keywarden, built
// with terraform-plugin-framework on the public Go SDK (pkg/keywarden), so
// it calls exactly the API, and its authorization, that every other caller
// sees.
//
// The rule of the package: no secret value is ever in a state or a plan.
// A value the server generates (a client secret, a user's one-time
// password) goes to a file the configuration names (destination.go, 0600,
// renamed into place); a value the configuration supplies comes in through
// a write-only attribute (value_wo); the random_secret ephemeral resource
// makes one that Terraform never stores. Rotation is replacement: the new
// secret is created and the old one expires after its grace period
// (client_secret_resource.go).
//
// One file per resource, data sources in data_sources.go. A new kind of
// client credential (public keys, federated credentials) is one more file
// like client_secret_resource.go: a schema with client_id (RequiresReplace),
// CRUD through the SDK's methods, a Read that removes what the server no
// longer has, ImportState with splitID ("CLIENT_ID/ID"), and an entry in
// keywardenProvider.Resources.
//
// Imports: pkg/keywarden, pkg/apiv1, terraform-plugin-framework (and its
// validators), the standard library.
package provider
