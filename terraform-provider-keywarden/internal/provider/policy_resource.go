package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"keywarden/pkg/apiv1"
)

// policyID is the ID of the one policy resource an organisation has; the
// organisation is the token's.
const policyID = "policy"

// roles are the roles of Keywarden users, in the order of their rights.
var roles = []string{"super_admin", "admin", "developer", "member"}

func newPolicyResource() resource.Resource { return &policyResource{} }

// policyResource is keywarden_policy: the organisation's policy. There is
// one; creating the resource adopts it, destroying it leaves the policy as
// it is.
type policyResource struct{ api }

var (
	_ resource.ResourceWithConfigure   = (*policyResource)(nil)
	_ resource.ResourceWithImportState = (*policyResource)(nil)
)

type policyModel struct {
	ID                       types.String `tfsdk:"id"`
	RequireMFA               types.Bool   `tfsdk:"require_mfa"`
	MaxSecretLifetimeDays    types.Object `tfsdk:"max_secret_lifetime_days"`
	AllowNeverExpire         types.Bool   `tfsdk:"allow_never_expire"`
	PersonalCredentials      types.String `tfsdk:"personal_credentials"`
	RefuseCredentialsWithMFA types.Bool   `tfsdk:"refuse_credentials_with_mfa"`
	AccessTokenTTLSeconds    types.Int64  `tfsdk:"access_token_ttl_seconds"`
}

var lifetimeTypes = map[string]attr.Type{
	"super_admin": types.Int64Type, "admin": types.Int64Type, "developer": types.Int64Type, "member": types.Int64Type,
}

func (r *policyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_policy"
}

func (r *policyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keepBool := []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}
	keepInt := []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}
	lifetimes := map[string]schema.Attribute{}
	for _, role := range roles {
		lifetimes[role] = schema.Int64Attribute{
			Optional: true, Computed: true, PlanModifiers: keepInt,
			MarkdownDescription: "Days for a `" + role + "`.",
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The organisation's policy (the organisation is the API token's). An organisation has exactly one: creating the resource takes over the policy as it is and sets the attributes you give; " +
			"attributes you leave out keep their value on the server. Destroying the resource leaves the policy unchanged. Needs a `super_admin` token. Import with the ID `policy`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "Always `policy`.",
			},
			"require_mfa": schema.BoolAttribute{
				Optional: true, Computed: true, PlanModifiers: keepBool,
				MarkdownDescription: "Whether every user must enrol TOTP MFA before doing anything else.",
			},
			"max_secret_lifetime_days": schema.SingleNestedAttribute{
				Optional: true, Computed: true, Attributes: lifetimes,
				PlanModifiers:       []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "The longest expiry, in days from now, that a user of each role may give a secret. Roles you leave out keep their limit.",
			},
			"allow_never_expire": schema.BoolAttribute{
				Optional: true, Computed: true, PlanModifiers: keepBool,
				MarkdownDescription: "Whether secrets that never expire are allowed.",
			},
			"personal_credentials": schema.StringAttribute{
				Optional: true, Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "Who may create a personal credential (see the server's docs: e.g. `everyone`, `off`).",
			},
			"refuse_credentials_with_mfa": schema.BoolAttribute{
				Optional: true, Computed: true, PlanModifiers: keepBool,
				MarkdownDescription: "Whether users with MFA may not use personal credentials.",
			},
			"access_token_ttl_seconds": schema.Int64Attribute{
				Optional: true, Computed: true, PlanModifiers: keepInt,
				MarkdownDescription: "The default lifetime of access tokens, in seconds.",
			},
		},
	}
}

func (m *policyModel) fromAPI(p apiv1.Policy) {
	m.ID = types.StringValue(policyID)
	m.RequireMFA = types.BoolValue(p.RequireMFA)
	vals := map[string]attr.Value{}
	for _, role := range roles {
		vals[role] = types.Int64Value(int64(p.MaxSecretLifetimeDays[role]))
	}
	m.MaxSecretLifetimeDays = types.ObjectValueMust(lifetimeTypes, vals)
	m.AllowNeverExpire = types.BoolValue(p.AllowNeverExpire)
	m.PersonalCredentials = types.StringValue(p.PersonalCredentials)
	m.RefuseCredentialsWithMFA = types.BoolValue(p.RefuseCredentialsWithMFA)
	m.AccessTokenTTLSeconds = types.Int64Value(int64(p.AccessTokenTTLSeconds))
}

// changes is the PATCH body that turns prior into m: on create (prior
// nil) the attributes the configuration sets, on update those that differ
// from the state, so a value nobody changed here is never written back
// over a change made meanwhile.
func (m policyModel) changes(prior *policyModel) apiv1.UpdatePolicy {
	want := func(v, old attr.Value) bool {
		if v.IsNull() || v.IsUnknown() {
			return false
		}
		return prior == nil || !v.Equal(old)
	}
	var p policyModel
	if prior != nil {
		p = *prior
	}
	var in apiv1.UpdatePolicy
	if want(m.RequireMFA, p.RequireMFA) {
		in.RequireMFA = m.RequireMFA.ValueBoolPointer()
	}
	if want(m.AllowNeverExpire, p.AllowNeverExpire) {
		in.AllowNeverExpire = m.AllowNeverExpire.ValueBoolPointer()
	}
	if want(m.RefuseCredentialsWithMFA, p.RefuseCredentialsWithMFA) {
		in.RefuseCredentialsWithMFA = m.RefuseCredentialsWithMFA.ValueBoolPointer()
	}
	if want(m.PersonalCredentials, p.PersonalCredentials) {
		in.PersonalCredentials = m.PersonalCredentials.ValueStringPointer()
	}
	if want(m.AccessTokenTTLSeconds, p.AccessTokenTTLSeconds) {
		ttl := int(m.AccessTokenTTLSeconds.ValueInt64())
		in.AccessTokenTTLSeconds = &ttl
	}
	if o := m.MaxSecretLifetimeDays; !o.IsNull() && !o.IsUnknown() {
		old := map[string]attr.Value{}
		if !p.MaxSecretLifetimeDays.IsNull() && !p.MaxSecretLifetimeDays.IsUnknown() {
			old = p.MaxSecretLifetimeDays.Attributes()
		}
		for role, v := range o.Attributes() {
			d, ok := v.(types.Int64)
			if !ok || !want(d, old[role]) {
				continue
			}
			if in.MaxSecretLifetimeDays == nil {
				in.MaxSecretLifetimeDays = map[string]int{}
			}
			in.MaxSecretLifetimeDays[role] = int(d.ValueInt64())
		}
	}
	return in
}

func (r *policyResource) write(ctx context.Context, plan policyModel, prior *policyModel) (policyModel, error) {
	in := plan.changes(prior)
	var p apiv1.Policy
	var err error
	empty := in.RequireMFA == nil && in.AllowNeverExpire == nil && in.RefuseCredentialsWithMFA == nil &&
		in.PersonalCredentials == nil && in.AccessTokenTTLSeconds == nil && len(in.MaxSecretLifetimeDays) == 0
	if empty {
		p, err = r.kw.GetPolicy(ctx) // nothing to send: adopt the policy as it is
	} else {
		p, err = r.kw.UpdatePolicy(ctx, in)
	}
	if err != nil {
		return plan, err
	}
	plan.fromAPI(p)
	return plan, nil
}

func (r *policyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan policyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan, err := r.write(ctx, plan, nil)
	if err != nil {
		apiError(&resp.Diagnostics, "update policy", err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *policyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state policyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	p, err := r.kw.GetPolicy(ctx)
	if err != nil {
		apiError(&resp.Diagnostics, "read policy", err)
		return
	}
	state.fromAPI(p)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *policyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state policyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan, err := r.write(ctx, plan, &state)
	if err != nil {
		apiError(&resp.Diagnostics, "update policy", err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete forgets the policy: an organisation always has one, and putting
// back some earlier values would be a guess.
func (r *policyResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

func (r *policyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if req.ID != policyID {
		resp.Diagnostics.AddError("Invalid import ID", `The policy's import ID is "policy" (the organisation is the API token's).`)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, pathID, policyID)...)
}
