package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

func newClientDataSource() datasource.DataSource  { return &clientDataSource{} }
func newClientsDataSource() datasource.DataSource { return &clientsDataSource{} }
func newServerDataSource() datasource.DataSource  { return &serverDataSource{} }

// clientAttributes are a client's attributes as a data source shows them,
// the same names as keywarden_client's.
func clientAttributes(lookup bool) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id":                schema.StringAttribute{Optional: lookup, Computed: true, MarkdownDescription: "The client ID (`kwc_…`)."},
		"name":              schema.StringAttribute{Optional: lookup, Computed: true, MarkdownDescription: "The client's name."},
		"description":       schema.StringAttribute{Computed: true, MarkdownDescription: "What the client is for."},
		"scopes":            schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "The scopes the client may request."},
		"token_ttl_seconds": schema.Int64Attribute{Computed: true, MarkdownDescription: "Its access tokens' lifetime; 0 is the organisation's default."},
		"webhook_url":       schema.StringAttribute{Computed: true, MarkdownDescription: "Its webhook endpoint, or empty."},
		"webhook_events":    schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "The events the endpoint receives; empty is every event."},
		"enabled":           schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the client may authenticate."},
		"status":            schema.StringAttribute{Computed: true, MarkdownDescription: "`active` or `disabled`."},
		"created_at":        schema.StringAttribute{Computed: true, MarkdownDescription: "When the client was created (RFC 3339)."},
	}
}

// clientDataSource is data.keywarden_client: one client, by ID or name.
type clientDataSource struct{ dataSourceAPI }

func (d *clientDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_client"
}

func (d *clientDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One client, found by `id` or by `name` (exactly one of them). A name that no client or several clients have is an error.",
		Attributes:          clientAttributes(true),
	}
}

func (d *clientDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m clientModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.ID.IsNull() == m.Name.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Set id or name", "Set exactly one of id and name.")
		return
	}
	var c apiv1.Client
	if !m.ID.IsNull() {
		var err error
		if c, err = d.kw.GetClient(ctx, m.ID.ValueString()); err != nil {
			apiError(&resp.Diagnostics, "read client", err)
			return
		}
	} else {
		var found []apiv1.Client
		for cl, err := range d.kw.Clients(ctx, keywarden.ClientQuery{}) {
			if err != nil {
				apiError(&resp.Diagnostics, "list clients", err)
				return
			}
			if cl.Name == m.Name.ValueString() {
				found = append(found, cl)
			}
		}
		if len(found) != 1 {
			resp.Diagnostics.AddAttributeError(path.Root("name"), "No single client with that name",
				fmt.Sprintf("Found %d clients named %s; use id instead.", len(found), m.Name.String()))
			return
		}
		c = found[0]
	}
	m.fromAPI(c)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// clientsDataSource is data.keywarden_clients: every client of the
// organisation, optionally those with a status.
type clientsDataSource struct{ dataSourceAPI }

type clientsModel struct {
	Status  types.String  `tfsdk:"status"`
	Clients []clientModel `tfsdk:"clients"`
}

func (d *clientsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_clients"
}

func (d *clientsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The organisation's clients, in the order they were created.",
		Attributes: map[string]schema.Attribute{
			"status": schema.StringAttribute{Optional: true, MarkdownDescription: "Only clients with this status (`active` or `disabled`)."},
			"clients": schema.ListNestedAttribute{
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: clientAttributes(false)},
				MarkdownDescription: "The clients.",
			},
		},
	}
}

func (d *clientsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m clientsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.Clients = []clientModel{}
	for c, err := range d.kw.Clients(ctx, keywarden.ClientQuery{}) {
		if err != nil {
			apiError(&resp.Diagnostics, "list clients", err)
			return
		}
		if !m.Status.IsNull() && c.Status != m.Status.ValueString() {
			continue
		}
		var cm clientModel
		cm.fromAPI(c)
		m.Clients = append(m.Clients, cm)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// serverDataSource is data.keywarden_server: the authorization server
// metadata (RFC 8414) and the public keys (RFC 7517) that verify access
// tokens, for configuring the services that accept Keywarden's tokens.
type serverDataSource struct{ dataSourceAPI }

type serverModel struct {
	Issuer                string       `tfsdk:"issuer"`
	TokenEndpoint         string       `tfsdk:"token_endpoint"`
	IntrospectionEndpoint string       `tfsdk:"introspection_endpoint"`
	RevocationEndpoint    string       `tfsdk:"revocation_endpoint"`
	JWKSURI               string       `tfsdk:"jwks_uri"`
	GrantTypes            []string     `tfsdk:"grant_types_supported"`
	SigningAlgs           []string     `tfsdk:"access_token_signing_alg_values_supported"`
	JWKS                  string       `tfsdk:"jwks"`
	Keys                  []serverKey  `tfsdk:"keys"`
	Metadata              types.String `tfsdk:"metadata_json"`
}

type serverKey struct {
	Kid string `tfsdk:"kid"`
	Kty string `tfsdk:"kty"`
	Alg string `tfsdk:"alg"`
	Use string `tfsdk:"use"`
}

func (d *serverDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server"
}

func (d *serverDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	list := func(desc string) schema.ListAttribute {
		return schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The server's OAuth 2.0 authorization server metadata (RFC 8414) and its JSON Web Key Set (RFC 7517): what a service that accepts Keywarden's access tokens needs. " +
			"The key set includes a key that is published but does not sign yet, so a verifier configured from it keeps working across a key rotation.",
		Attributes: map[string]schema.Attribute{
			"issuer":                 str("The `iss` of every access token."),
			"token_endpoint":         str("Where clients request tokens."),
			"introspection_endpoint": str("RFC 7662 introspection."),
			"revocation_endpoint":    str("RFC 7009 revocation."),
			"jwks_uri":               str("Where the key set is published."),
			"grant_types_supported":  list("The grant types the token endpoint accepts."),
			"access_token_signing_alg_values_supported": list("The algorithms access tokens are signed with."),
			"jwks":          str("The key set as JSON, ready for a verifier's configuration."),
			"metadata_json": str("The whole metadata document as JSON."),
			"keys": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The keys of the set.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"kid": str("Key ID, the `kid` of the tokens it signs."),
					"kty": str("Key type (`EC`, `OKP`, `RSA`)."),
					"alg": str("Algorithm."),
					"use": str("`sig`."),
				}},
			},
		},
	}
}

func (d *serverDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	md, err := d.kw.OAuthMetadata(ctx)
	if err != nil {
		apiError(&resp.Diagnostics, "read server metadata", err)
		return
	}
	set, err := d.kw.OAuthJWKS(ctx)
	if err != nil {
		apiError(&resp.Diagnostics, "read JWKS", err)
		return
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		resp.Diagnostics.AddError("Encode the key set", err.Error())
		return
	}
	mdJSON, err := json.Marshal(md)
	if err != nil {
		resp.Diagnostics.AddError("Encode the metadata", err.Error())
		return
	}
	m := serverModel{
		Issuer: md.Issuer, TokenEndpoint: md.TokenEndpoint, IntrospectionEndpoint: md.IntrospectionEndpoint,
		RevocationEndpoint: md.RevocationEndpoint, JWKSURI: md.JWKSURI,
		GrantTypes: orEmpty(md.GrantTypesSupported), SigningAlgs: orEmpty(md.AccessTokenSigningAlgValuesSupported),
		JWKS: string(jwks), Metadata: types.StringValue(string(mdJSON)), Keys: []serverKey{},
	}
	for _, k := range set.Keys {
		m.Keys = append(m.Keys, serverKey{Kid: k.Kid, Kty: k.Kty, Alg: k.Alg, Use: k.Use})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
