package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"keywarden/pkg/apiv1"
)

func newClientResource() resource.Resource { return &clientResource{} }

// clientResource is keywarden_client: an API client without its secrets
// (keywarden_client_secret holds those).
type clientResource struct{ api }

var (
	_ resource.ResourceWithConfigure   = (*clientResource)(nil)
	_ resource.ResourceWithImportState = (*clientResource)(nil)
)

type clientModel struct {
	ID              types.String `tfsdk:"id"`
	Name            types.String `tfsdk:"name"`
	Description     types.String `tfsdk:"description"`
	Scopes          types.Set    `tfsdk:"scopes"`
	TokenTTLSeconds types.Int64  `tfsdk:"token_ttl_seconds"`
	WebhookURL      types.String `tfsdk:"webhook_url"`
	WebhookEvents   types.Set    `tfsdk:"webhook_events"`
	Enabled         types.Bool   `tfsdk:"enabled"`
	Status          types.String `tfsdk:"status"`
	CreatedAt       types.String `tfsdk:"created_at"`
}

func (r *clientResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_client"
}

func (r *clientResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An API client: its name, the scopes it may request, the lifetime of its access tokens, its webhook endpoint and whether it may authenticate. " +
			"Its secrets are `keywarden_client_secret` resources. Every attribute changes in place; a change made outside Terraform (the console, the API, the CLI) shows up as drift on the next plan.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The client ID (`kwc_…`), the `client_id` of OAuth 2.0 token requests.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "A name people recognise, e.g. `Billing service`.",
			},
			"description": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(""),
				MarkdownDescription: "What the client is for.",
			},
			"scopes": schema.SetAttribute{
				ElementType: types.StringType,
				Optional:    true, Computed: true, Default: setdefault.StaticValue(stringSet(nil)),
				MarkdownDescription: "The scopes the client may request (RFC 6749 §3.3 scope tokens). Empty: none.",
			},
			"token_ttl_seconds": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(0),
				MarkdownDescription: "The lifetime of the client's access tokens in seconds; 0 (the default) means the organisation's `access_token_ttl_seconds`.",
			},
			"webhook_url": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "The client's webhook endpoint. Leave it out to manage the endpoint with `keywarden_client_webhook` instead (set it in one place only).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"webhook_events": schema.SetAttribute{
				ElementType: types.StringType,
				Optional:    true, Computed: true,
				MarkdownDescription: "The events the endpoint receives (event types, groups such as `secret.*`, or `*`); empty means every event. Like `webhook_url`, set it here or in `keywarden_client_webhook`.",
				PlanModifiers:       []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
			},
			"enabled": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Whether the client may authenticate. Disabling it refuses its token requests at once; its secrets stay.",
			},
			"status": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`active` or `disabled`.",
			},
			"created_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When the client was created (RFC 3339).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

// fromAPI sets m from the server's client.
func (m *clientModel) fromAPI(c apiv1.Client) {
	m.ID = types.StringValue(c.ClientID)
	m.Name = types.StringValue(c.Name)
	m.Description = types.StringValue(c.Description)
	m.Scopes = stringSet(c.Scopes)
	m.TokenTTLSeconds = types.Int64Value(int64(c.TokenTTLSeconds))
	m.WebhookURL = types.StringValue(c.WebhookURL)
	m.WebhookEvents = stringSet(c.WebhookEvents)
	m.Enabled = types.BoolValue(c.Status != "disabled")
	m.Status = types.StringValue(c.Status)
	m.CreatedAt = timeValue(&c.CreatedAt)
}

func (r *clientResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan clientModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := apiv1.CreateClient{
		Name:            plan.Name.ValueString(),
		Description:     plan.Description.ValueString(),
		Scopes:          stringsOf(ctx, plan.Scopes, &resp.Diagnostics),
		TokenTTLSeconds: int(plan.TokenTTLSeconds.ValueInt64()),
		WebhookURL:      plan.WebhookURL.ValueString(),
		WebhookEvents:   stringsOf(ctx, plan.WebhookEvents, &resp.Diagnostics),
	}
	if resp.Diagnostics.HasError() {
		return
	}
	c, err := r.kw.CreateClient(ctx, in)
	if err != nil {
		apiError(&resp.Diagnostics, "create client", err)
		return
	}
	// Save the ID before anything else can fail, so that a failed disable
	// leaves a client Terraform knows about (and will fix or destroy).
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), c.ClientID)...)
	if !plan.Enabled.ValueBool() {
		disabled := true
		if c, err = r.kw.UpdateClient(ctx, c.ClientID, apiv1.UpdateClient{Disabled: &disabled}); err != nil {
			apiError(&resp.Diagnostics, "disable client", err)
			return
		}
	}
	plan.fromAPI(c)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *clientResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state clientModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, err := r.kw.GetClient(ctx, state.ID.ValueString())
	if notFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		apiError(&resp.Diagnostics, "read client", err)
		return
	}
	state.fromAPI(c)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *clientResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state clientModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := clientChanges(ctx, plan, state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	c, err := r.kw.UpdateClient(ctx, state.ID.ValueString(), in)
	if err != nil {
		apiError(&resp.Diagnostics, "update client", err)
		return
	}
	plan.fromAPI(c)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// clientChanges is the PATCH body that turns state into plan: only the
// fields that differ, so that a field nobody changed is never written back.
func clientChanges(ctx context.Context, plan, state clientModel, diags *diag.Diagnostics) apiv1.UpdateClient {
	var in apiv1.UpdateClient
	if !plan.Name.Equal(state.Name) {
		in.Name = plan.Name.ValueStringPointer()
	}
	if !plan.Description.Equal(state.Description) {
		in.Description = plan.Description.ValueStringPointer()
	}
	if !plan.Scopes.Equal(state.Scopes) {
		s := stringsOf(ctx, plan.Scopes, diags)
		in.Scopes = &s
	}
	if !plan.TokenTTLSeconds.Equal(state.TokenTTLSeconds) {
		ttl := int(plan.TokenTTLSeconds.ValueInt64())
		in.TokenTTLSeconds = &ttl
	}
	if !plan.WebhookURL.IsUnknown() && !plan.WebhookURL.Equal(state.WebhookURL) {
		in.WebhookURL = plan.WebhookURL.ValueStringPointer()
	}
	if !plan.WebhookEvents.IsUnknown() && !plan.WebhookEvents.Equal(state.WebhookEvents) {
		e := stringsOf(ctx, plan.WebhookEvents, diags)
		in.WebhookEvents = &e
	}
	if !plan.Enabled.Equal(state.Enabled) {
		disabled := !plan.Enabled.ValueBool()
		in.Disabled = &disabled
	}
	return in
}

func (r *clientResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state clientModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.kw.DeleteClient(ctx, state.ID.ValueString()); err != nil && !notFound(err) {
		apiError(&resp.Diagnostics, "delete client", err)
	}
}

func (r *clientResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
