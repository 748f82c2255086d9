package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// DefaultGracePeriodSeconds is how long a replaced or destroyed secret
// keeps working unless grace_period_seconds says otherwise: the overlap
// that lets every caller move to the new secret (docs/rotation.md).
const DefaultGracePeriodSeconds = 3600

func newClientSecretResource() resource.Resource { return &clientSecretResource{} }

// clientSecretResource is keywarden_client_secret: one secret of a client.
// Its value is never in the state or a plan. A value Keywarden generates
// goes to value_file; a value the configuration supplies comes in through
// the write-only value_wo. Rotation is replacement: the new secret is
// created, and the old one expires grace_period_seconds later instead of
// being revoked, so some secret works at every moment.
type clientSecretResource struct{ api }

var (
	_ resource.ResourceWithConfigure      = (*clientSecretResource)(nil)
	_ resource.ResourceWithImportState    = (*clientSecretResource)(nil)
	_ resource.ResourceWithValidateConfig = (*clientSecretResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*clientSecretResource)(nil)
)

type clientSecretModel struct {
	ID                 types.String `tfsdk:"id"`
	ClientID           types.String `tfsdk:"client_id"`
	Description        types.String `tfsdk:"description"`
	ExpiresAt          types.String `tfsdk:"expires_at"`
	NeverExpires       types.Bool   `tfsdk:"never_expires"`
	AllowedCIDRs       types.Set    `tfsdk:"allowed_cidrs"`
	ValueWO            types.String `tfsdk:"value_wo"`
	ValueWOVersion     types.Int64  `tfsdk:"value_wo_version"`
	ValueFile          types.String `tfsdk:"value_file"`
	Keepers            types.Map    `tfsdk:"keepers"`
	RenewBefore        types.String `tfsdk:"renew_before"`
	GracePeriodSeconds types.Int64  `tfsdk:"grace_period_seconds"`
	Hint               types.String `tfsdk:"hint"`
	Masked             types.String `tfsdk:"masked"`
	Origin             types.String `tfsdk:"origin"`
	Status             types.String `tfsdk:"status"`
	CreatedAt          types.String `tfsdk:"created_at"`
}

func (r *clientSecretResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_client_secret"
}

func (r *clientSecretResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "One secret of a client. **Its value is never in the state or a plan.** " +
			"Either Keywarden generates the value and the provider writes it to `value_file` (mode 0600) when the secret is created, " +
			"or you supply it through the write-only `value_wo` (for example from the `keywarden_random_secret` ephemeral resource, " +
			"passed in the same apply to another system's write-only attribute).\n\n" +
			"Rotation is declarative: changing `keepers`, `value_wo_version` or `value_file`, or reaching `renew_before`, replaces the secret. " +
			"The old secret is not revoked: it expires `grace_period_seconds` after the replacement (default one hour), so callers move to the new value without a moment in which no secret works. " +
			"With `lifecycle { create_before_destroy = true }` the new secret exists before the old one's expiry is set.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, PlanModifiers: keep,
				MarkdownDescription: "The secret's ID (`sec_…`).",
			},
			"client_id": schema.StringAttribute{
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				MarkdownDescription: "The client the secret belongs to. Changing it replaces the secret.",
			},
			"description": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "What the secret is for or where it is deployed, e.g. `Production`. Changes in place.",
			},
			"expires_at": schema.StringAttribute{
				Optional: true, Computed: true, PlanModifiers: keep,
				MarkdownDescription: "When the secret stops working (RFC 3339). Default: the longest expiry the policy allows the token's role. Changes in place.",
			},
			"never_expires": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "A secret that never expires; the policy refuses it unless `allow_never_expire` is set.",
			},
			"allowed_cidrs": schema.SetAttribute{
				ElementType: types.StringType,
				Optional:    true, Computed: true, Default: setdefault.StaticValue(stringSet(nil)),
				MarkdownDescription: "When not empty, the only networks the secret authenticates from (e.g. `10.0.0.0/8`). Changes in place.",
			},
			"value_wo": schema.StringAttribute{
				Optional: true, Sensitive: true, WriteOnly: true,
				MarkdownDescription: "A value you supply (24 to 512 characters, not starting with `kws_`). Write-only: it is sent when the secret is created and never stored. " +
					"Needs `value_wo_version`; change the version to rotate to a new value. Requires Terraform 1.11 or OpenTofu 1.11.",
			},
			"value_wo_version": schema.Int64Attribute{
				Optional:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace()},
				MarkdownDescription: "Any number that changes whenever `value_wo` does: a write-only value is never compared, so this is what tells Terraform to create a secret with the new value.",
			},
			"value_file": schema.StringAttribute{
				Optional:      true,
				PlanModifiers: []planmodifier.String{replaceOnChangeString()},
				MarkdownDescription: "Where the provider writes the secret's value when it creates the secret: a file, mode 0600, replaced atomically so that a reader sees the old value or the new one. " +
					"Required unless `value_wo` is set (a generated value is shown only once). Changing it replaces the secret; setting it after an import only records it. The file is left in place when the secret is destroyed.",
			},
			"keepers": schema.MapAttribute{
				ElementType:         types.StringType,
				Optional:            true,
				PlanModifiers:       []planmodifier.Map{replaceOnChangeMap()},
				MarkdownDescription: "Arbitrary values; changing any of them rotates the secret (for example `{ rotation = \"2031-q2\" }`). Setting them where there were none (after an import) only records them.",
			},
			"renew_before": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "A duration (Go syntax, e.g. `168h`). A plan made less than this long before `expires_at` replaces the secret, so it is rotated before it expires. " +
					"Not with `expires_at` set in the configuration (the new secret would expire at the same moment).",
			},
			"grace_period_seconds": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(DefaultGracePeriodSeconds),
				MarkdownDescription: "When the secret is replaced or destroyed, it keeps working this many seconds and then expires. 0 revokes it at once (its access tokens stop too). " +
					"The value recorded by the last apply counts: set it before the change that replaces the secret.",
			},
			"hint":       schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "The value's last four characters."},
			"masked":     schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "The value masked for display, e.g. `kws_…a1B2`."},
			"origin":     schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "`generated` or `supplied`."},
			"status":     schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "`active` (a revoked or expired secret leaves the state, and the next plan creates a new one)."},
			"created_at": schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "When the secret was created (RFC 3339)."},
		},
	}
}

func (r *clientSecretResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m clientSecretModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// An ephemeral value is unknown while the configuration is validated:
	// unknown counts as set.
	if m.ValueWO.IsNull() && m.ValueFile.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("value_file"), "Nowhere to put the value",
			"Keywarden shows a generated value only once: set value_file to the file it goes to, or supply the value with value_wo.")
	}
	if !m.ValueWO.IsNull() && m.ValueWOVersion.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("value_wo_version"), "Missing value_wo_version",
			"A write-only value is never compared with the last one; set value_wo_version and change it whenever value_wo changes.")
	}
	if !m.RenewBefore.IsNull() && !m.RenewBefore.IsUnknown() {
		if d, err := time.ParseDuration(m.RenewBefore.ValueString()); err != nil || d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("renew_before"), "Invalid renew_before", "Must be a positive duration such as 168h.")
		}
		if !m.ExpiresAt.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("renew_before"), "renew_before with expires_at",
				"A renewed secret would get the same expires_at and be renewed on every plan; leave expires_at to the policy.")
		}
	}
	if !m.ExpiresAt.IsNull() && !m.ExpiresAt.IsUnknown() {
		if _, err := time.Parse(time.RFC3339, m.ExpiresAt.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("expires_at"), "Invalid expires_at", "Must be an RFC 3339 time such as 2031-12-31T23:59:59Z.")
		}
	}
	if !m.GracePeriodSeconds.IsNull() && !m.GracePeriodSeconds.IsUnknown() && m.GracePeriodSeconds.ValueInt64() < 0 {
		resp.Diagnostics.AddAttributeError(path.Root("grace_period_seconds"), "Invalid grace_period_seconds", "Must be 0 or more.")
	}
}

// ModifyPlan renews a secret that expires within renew_before: marking
// expires_at unknown makes it differ from the state, which is what lets
// RequiresReplace replace the secret.
func (r *clientSecretResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return // create or destroy
	}
	var state, plan clientSecretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.RenewBefore.IsNull() || plan.RenewBefore.IsUnknown() || state.ExpiresAt.IsNull() {
		return
	}
	before, err1 := time.ParseDuration(plan.RenewBefore.ValueString())
	expires, err2 := time.Parse(time.RFC3339, state.ExpiresAt.ValueString())
	if err1 != nil || err2 != nil || time.Until(expires) >= before {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("expires_at"), types.StringUnknown())...)
	resp.RequiresReplace.Append(path.Root("expires_at"))
}

// fromAPI sets m from the server's secret (never a value).
func (m *clientSecretModel) fromAPI(s apiv1.Secret) {
	m.ID = types.StringValue(s.ID)
	m.ClientID = types.StringValue(s.ClientID)
	m.Description = types.StringValue(s.Description)
	m.ExpiresAt = sameInstant(m.ExpiresAt, timeValue(s.ExpiresAt))
	m.NeverExpires = types.BoolValue(s.ExpiresAt == nil)
	m.AllowedCIDRs = stringSet(s.AllowedCIDRs)
	m.ValueWO = types.StringNull()
	m.Hint = types.StringValue(s.Hint)
	m.Masked = types.StringValue(s.Masked)
	m.Origin = types.StringValue(s.Origin)
	m.Status = types.StringValue(s.Status)
	m.CreatedAt = timeValue(&s.CreatedAt)
	if m.GracePeriodSeconds.IsNull() || m.GracePeriodSeconds.IsUnknown() {
		m.GracePeriodSeconds = types.Int64Value(DefaultGracePeriodSeconds) // after an import
	}
}

func parseTime(v types.String) (*time.Time, error) {
	if v.IsNull() || v.IsUnknown() {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	if err != nil {
		return nil, fmt.Errorf("expires_at %q is not RFC 3339", v.ValueString())
	}
	return &t, nil
}

func (r *clientSecretResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan clientSecretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	// A write-only value is only in the configuration: the plan has null.
	var value types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("value_wo"), &value)...)
	if resp.Diagnostics.HasError() {
		return
	}
	expires, err := parseTime(plan.ExpiresAt)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("expires_at"), "Invalid expires_at", err.Error())
		return
	}
	in := apiv1.CreateSecret{
		Description:  plan.Description.ValueString(),
		ExpiresAt:    expires,
		NeverExpires: plan.NeverExpires.ValueBool(),
		AllowedCIDRs: stringsOf(ctx, plan.AllowedCIDRs, &resp.Diagnostics),
	}
	if !value.IsNull() {
		in.Value = value.ValueStringPointer()
	}
	if resp.Diagnostics.HasError() {
		return
	}
	created, err := r.kw.CreateSecret(ctx, plan.ClientID.ValueString(), in)
	if err != nil {
		apiError(&resp.Diagnostics, "create secret", err)
		return
	}
	if !plan.ValueFile.IsNull() {
		if err := writeSecretFile(plan.ValueFile.ValueString(), created.Value); err != nil {
			// Nobody can learn a value that did not reach its file: take
			// the secret back rather than leave one that nobody holds.
			_, rerr := r.kw.RevokeSecret(ctx, created.ClientID, created.ID, keywarden.RevokeOptions{})
			msg := err.Error()
			if rerr != nil {
				msg += "; revoking the secret that was created failed too: " + rerr.Error()
			}
			resp.Diagnostics.AddAttributeError(path.Root("value_file"), "Could not write the secret's value", msg)
			return
		}
	}
	plan.fromAPI(created.Secret)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *clientSecretResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state clientSecretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, err := r.kw.GetSecret(ctx, state.ClientID.ValueString(), state.ID.ValueString())
	if notFound(err) || (err == nil && s.Status != "active") {
		// Deleted with its client, revoked or expired: the next plan
		// creates a new secret.
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		apiError(&resp.Diagnostics, "read secret", err)
		return
	}
	state.fromAPI(s)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *clientSecretResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state clientSecretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var in apiv1.UpdateSecret
	changed := false
	if !plan.Description.Equal(state.Description) {
		in.Description, changed = plan.Description.ValueStringPointer(), true
	}
	if !plan.AllowedCIDRs.Equal(state.AllowedCIDRs) {
		c := stringsOf(ctx, plan.AllowedCIDRs, &resp.Diagnostics)
		in.AllowedCIDRs, changed = &c, true
	}
	switch {
	case plan.NeverExpires.ValueBool() && !state.NeverExpires.ValueBool():
		in.NeverExpires, changed = true, true
	case !plan.ExpiresAt.IsUnknown() && !plan.ExpiresAt.IsNull() && !plan.ExpiresAt.Equal(sameInstant(plan.ExpiresAt, state.ExpiresAt)):
		t, err := parseTime(plan.ExpiresAt)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("expires_at"), "Invalid expires_at", err.Error())
			return
		}
		in.ExpiresAt, changed = t, true
	case !plan.NeverExpires.ValueBool() && state.NeverExpires.ValueBool():
		resp.Diagnostics.AddAttributeError(path.Root("expires_at"), "Missing expires_at",
			"A secret that never expired needs an expires_at when never_expires is turned off.")
		return
	}
	if resp.Diagnostics.HasError() {
		return
	}
	s := apiv1.Secret{}
	if changed {
		var err error
		if s, err = r.kw.UpdateSecret(ctx, state.ClientID.ValueString(), state.ID.ValueString(), in); err != nil {
			apiError(&resp.Diagnostics, "update secret", err)
			return
		}
	} else {
		// Only provider-side settings changed (grace_period_seconds,
		// renew_before): read the secret so the state stays the server's.
		var err error
		if s, err = r.kw.GetSecret(ctx, state.ClientID.ValueString(), state.ID.ValueString()); err != nil {
			apiError(&resp.Diagnostics, "read secret", err)
			return
		}
	}
	plan.fromAPI(s)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete retires the secret: with a grace period it expires that long from
// now (unless it expires sooner anyway), so the callers that still use it
// keep working while they move to its replacement; without one it is
// revoked at once.
func (r *clientSecretResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state clientSecretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	clientID, id := state.ClientID.ValueString(), state.ID.ValueString()
	grace := state.GracePeriodSeconds.ValueInt64()
	if grace <= 0 {
		if _, err := r.kw.RevokeSecret(ctx, clientID, id, keywarden.RevokeOptions{}); err != nil && !notFound(err) {
			apiError(&resp.Diagnostics, "revoke secret", err)
		}
		return
	}
	s, err := r.kw.GetSecret(ctx, clientID, id)
	if notFound(err) || (err == nil && s.Status != "active") {
		return
	}
	if err != nil {
		apiError(&resp.Diagnostics, "read secret", err)
		return
	}
	until := time.Now().Add(time.Duration(grace) * time.Second).UTC().Truncate(time.Second)
	if s.ExpiresAt != nil && !s.ExpiresAt.After(until) {
		return // it expires within the grace period anyway
	}
	if _, err := r.kw.UpdateSecret(ctx, clientID, id, apiv1.UpdateSecret{ExpiresAt: &until}); err != nil && !notFound(err) {
		apiError(&resp.Diagnostics, "schedule the secret's expiry", err)
	}
}

// ImportState takes "client_id/secret_id". The value cannot be imported
// (the server does not have it); value_file, value_wo_version, keepers and
// renew_before stay unset, grace_period_seconds takes its default.
func (r *clientSecretResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	clientID, id, err := splitID(req.ID, "CLIENT_ID/SECRET_ID")
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("client_id"), clientID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
