package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"keywarden/pkg/apiv1"
)

func newClientWebhookResource() resource.Resource { return &clientWebhookResource{} }

// clientWebhookResource is keywarden_client_webhook: a client's webhook
// endpoint (its URL and events) and its health. An endpoint the server
// disabled for failing shows up as a change on the next plan, and the
// apply enables it again.
type clientWebhookResource struct{ api }

var (
	_ resource.ResourceWithConfigure   = (*clientWebhookResource)(nil)
	_ resource.ResourceWithImportState = (*clientWebhookResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*clientWebhookResource)(nil)
)

type clientWebhookModel struct {
	ID             types.String `tfsdk:"id"`
	ClientID       types.String `tfsdk:"client_id"`
	URL            types.String `tfsdk:"url"`
	Events         types.Set    `tfsdk:"events"`
	Status         types.String `tfsdk:"status"`
	DisabledReason types.String `tfsdk:"disabled_reason"`
}

func (r *clientWebhookResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_client_webhook"
}

func (r *clientWebhookResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A client's webhook endpoint: where Keywarden posts the client's events, signed with its secrets (see the server's docs/webhooks.md). " +
			"Use it instead of `webhook_url`/`webhook_events` on `keywarden_client`, not with them. " +
			"When the server disables the endpoint after failing deliveries, the next plan shows `status` going back to `active`, and the apply enables it. Destroying the resource removes the endpoint from the client.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "The client ID (an endpoint belongs to one client).",
			},
			"client_id": schema.StringAttribute{
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				MarkdownDescription: "The client whose endpoint this is.",
			},
			"url": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The endpoint. `https` with a public host unless the server's `--webhook-allow-private` lists it.",
			},
			"events": schema.SetAttribute{
				ElementType: types.StringType,
				Optional:    true, Computed: true, Default: setdefault.StaticValue(stringSet(nil)),
				MarkdownDescription: "Event types (`secret.created`), groups (`secret.*`) or `*`; empty (the default) means every event.",
			},
			"status": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`active`, `failing` (deliveries fail; disabled if it lasts) or `disabled`.",
			},
			"disabled_reason": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Why the server disabled the endpoint, while it is disabled.",
			},
		},
	}
}

func (m *clientWebhookModel) fromAPI(e apiv1.WebhookEndpoint) {
	m.ID = types.StringValue(e.ClientID)
	m.ClientID = types.StringValue(e.ClientID)
	m.URL = types.StringValue(e.URL)
	m.Events = stringSet(e.Events)
	m.Status = types.StringValue(e.Status)
	m.DisabledReason = types.StringValue(e.DisabledReason)
}

// ModifyPlan keeps the health the server reports unless it needs the
// apply: a disabled endpoint is planned back to active.
func (r *clientWebhookResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var state, plan clientWebhookModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	switch {
	case state.Status.ValueString() == "disabled":
		plan.Status, plan.DisabledReason = types.StringValue("active"), types.StringValue("")
	case plan.URL.Equal(state.URL):
		plan.Status, plan.DisabledReason = state.Status, state.DisabledReason
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// apply sets the endpoint and enables it if the server had disabled it.
func (r *clientWebhookResource) apply(ctx context.Context, plan clientWebhookModel, events []string, wasDisabled bool) (apiv1.WebhookEndpoint, string, error) {
	url := plan.URL.ValueString()
	if _, err := r.kw.UpdateClient(ctx, plan.ClientID.ValueString(), apiv1.UpdateClient{WebhookURL: &url, WebhookEvents: &events}); err != nil {
		return apiv1.WebhookEndpoint{}, "set webhook", err
	}
	e, err := r.kw.GetWebhook(ctx, plan.ClientID.ValueString())
	if err != nil {
		return e, "read webhook", err
	}
	if e.Status == "disabled" || wasDisabled {
		if e, err = r.kw.EnableWebhook(ctx, plan.ClientID.ValueString()); err != nil {
			return e, "enable webhook", err
		}
	}
	return e, "", nil
}

func (r *clientWebhookResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan clientWebhookModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	events := stringsOf(ctx, plan.Events, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	e, what, err := r.apply(ctx, plan, events, false)
	if err != nil {
		apiError(&resp.Diagnostics, what, err)
		return
	}
	plan.fromAPI(e)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *clientWebhookResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state clientWebhookModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	e, err := r.kw.GetWebhook(ctx, state.ClientID.ValueString())
	if notFound(err) || (err == nil && e.URL == "") {
		resp.State.RemoveResource(ctx) // the client or its endpoint is gone
		return
	}
	if err != nil {
		apiError(&resp.Diagnostics, "read webhook", err)
		return
	}
	state.fromAPI(e)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *clientWebhookResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state clientWebhookModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	events := stringsOf(ctx, plan.Events, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	e, what, err := r.apply(ctx, plan, events, state.Status.ValueString() == "disabled")
	if err != nil {
		apiError(&resp.Diagnostics, what, err)
		return
	}
	plan.fromAPI(e)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *clientWebhookResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state clientWebhookModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	none, all := "", []string{}
	_, err := r.kw.UpdateClient(ctx, state.ClientID.ValueString(), apiv1.UpdateClient{WebhookURL: &none, WebhookEvents: &all})
	if err != nil && !notFound(err) {
		apiError(&resp.Diagnostics, "remove webhook", err)
	}
}

// ImportState takes the client ID.
func (r *clientWebhookResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("client_id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}
