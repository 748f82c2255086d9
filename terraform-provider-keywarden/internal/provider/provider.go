package provider

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"keywarden/pkg/keywarden"
)

// Address is the provider's source address. OpenTofu resolves
// "keywarden/keywarden" in required_providers to it.
const Address = "registry.opentofu.org/keywarden/keywarden"

// Environment variables read when the provider block leaves the setting out.
const (
	EnvURL   = "KEYWARDEN_URL"
	EnvToken = "KEYWARDEN_TOKEN"
)

// New returns the provider constructor that providerserver.Serve and the
// acceptance tests use.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &keywardenProvider{version: version} }
}

type keywardenProvider struct {
	version string
}

var (
	_ provider.Provider                       = (*keywardenProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*keywardenProvider)(nil)
)

type providerModel struct {
	URL   types.String `tfsdk:"url"`
	Token types.String `tfsdk:"token"`
}

func (p *keywardenProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "keywarden"
	resp.Version = p.version
}

func (p *keywardenProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages a Keywarden organisation: its API clients, their secrets and webhook endpoints, the organisation's policy and its users. " +
			"No secret value is ever written to the state or a plan: values Keywarden generates go to a file you name, values you supply go in through write-only attributes.",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The server's base URL, e.g. `https://keys.example.com`. Default: the `" + EnvURL + "` environment variable.",
			},
			"token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "An admin API token (`kwt_…`, as `keywarden init` prints it). Default: the `" + EnvToken + "` environment variable, " +
					"which keeps it out of the configuration. Its user's role decides what the provider may change (`super_admin` for the policy and users).",
			},
		},
	}
}

func (p *keywardenProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	url, token := os.Getenv(EnvURL), os.Getenv(EnvToken)
	if m.URL.IsUnknown() || m.Token.IsUnknown() {
		// Known only after another resource is applied: nothing could be
		// read or planned against the server.
		resp.Diagnostics.AddError("Provider configuration unknown at plan time",
			"url and token must be known when the plan is made (not the result of a resource in the same configuration); an ephemeral value or a variable works.")
		return
	}
	if !m.URL.IsNull() {
		url = m.URL.ValueString()
	}
	if !m.Token.IsNull() {
		token = m.Token.ValueString()
	}
	if url == "" {
		resp.Diagnostics.AddAttributeError(path.Root("url"), "Missing server URL", "Set url in the provider block or the "+EnvURL+" environment variable.")
	}
	if token == "" {
		resp.Diagnostics.AddAttributeError(path.Root("token"), "Missing API token", "Set token in the provider block or the "+EnvToken+" environment variable.")
	}
	if resp.Diagnostics.HasError() {
		return
	}
	c := keywarden.New(url, token, &http.Client{Timeout: 60 * time.Second},
		keywarden.WithUserAgent("terraform-provider-keywarden/"+p.version))
	resp.ResourceData, resp.DataSourceData, resp.EphemeralResourceData = c, c, c
}

func (p *keywardenProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newClientResource,
		newClientSecretResource,
		newClientWebhookResource,
		newPolicyResource,
		newUserResource,
	}
}

func (p *keywardenProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newClientDataSource,
		newClientsDataSource,
		newServerDataSource,
	}
}

func (p *keywardenProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		newRandomSecretEphemeralResource,
	}
}
