package provider

import (
	"context"
	"errors"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"keywarden/pkg/apiv1"
)

func newUserResource() resource.Resource { return &userResource{} }

// userResource is keywarden_user: a person in the organisation with a
// role. Inviting a user creates a one-time password; like every secret it
// never enters the state: it goes to one_time_password_file.
type userResource struct{ api }

var (
	_ resource.ResourceWithConfigure   = (*userResource)(nil)
	_ resource.ResourceWithImportState = (*userResource)(nil)
)

type userModel struct {
	ID                  types.String `tfsdk:"id"`
	Email               types.String `tfsdk:"email"`
	Role                types.String `tfsdk:"role"`
	Enabled             types.Bool   `tfsdk:"enabled"`
	OneTimePasswordFile types.String `tfsdk:"one_time_password_file"`
	Status              types.String `tfsdk:"status"`
	MFAEnabled          types.Bool   `tfsdk:"mfa_enabled"`
	CreatedAt           types.String `tfsdk:"created_at"`
}

func (r *userResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

func (r *userResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A person in the organisation and their role (`super_admin`, `admin`, `developer` or `member`; see the server's docs/permissions.md). " +
			"Creating the resource invites the user: Keywarden makes a one-time password, which the provider writes to `one_time_password_file` (mode 0600) and never to the state; " +
			"the user must change it at their first login. The role and `enabled` change in place; a new email replaces the user. Needs a `super_admin` token. Import with the user's ID.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "The user's ID (`usr_…`)."},
			"email": schema.StringAttribute{
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				MarkdownDescription: "The user's email address, their login name. Changing it replaces the user.",
			},
			"role": schema.StringAttribute{
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(roles...)},
				MarkdownDescription: "`super_admin`, `admin`, `developer` or `member`. A change applies to the user's next request, whatever token they hold.",
			},
			"enabled": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Whether the user may log in. Disabling ends their sessions and revokes their personal credential and its tokens at once.",
			},
			"one_time_password_file": schema.StringAttribute{
				Optional:      true,
				PlanModifiers: []planmodifier.String{replaceOnChangeString()},
				MarkdownDescription: "Where the provider writes the invited user's one-time password (mode 0600). Without it the password is thrown away and the user cannot log in. " +
					"Only written when the user is created; changing it replaces the user, setting it after an import only records it.",
			},
			"status":      schema.StringAttribute{Computed: true, MarkdownDescription: "`active` or `disabled`."},
			"mfa_enabled": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the user has enrolled TOTP MFA."},
			"created_at":  schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "When the user was invited (RFC 3339)."},
		},
	}
}

func (m *userModel) fromAPI(u apiv1.User) {
	m.ID = types.StringValue(u.ID)
	m.Email = types.StringValue(u.Email)
	m.Role = types.StringValue(u.Role)
	m.Enabled = types.BoolValue(u.Status != "disabled")
	m.Status = types.StringValue(u.Status)
	m.MFAEnabled = types.BoolValue(u.MFAEnabled)
	m.CreatedAt = timeValue(&u.CreatedAt)
}

func (r *userResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan userModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	u, err := r.kw.InviteUser(ctx, apiv1.InviteUser{Email: plan.Email.ValueString(), Role: plan.Role.ValueString()})
	if err != nil {
		apiError(&resp.Diagnostics, "invite user", err)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, pathID, u.ID)...)
	if plan.OneTimePasswordFile.IsNull() {
		resp.Diagnostics.AddAttributeWarning(path.Root("one_time_password_file"), "One-time password discarded",
			"Without one_time_password_file the user's one-time password went nowhere; they cannot log in until the user is replaced with one.")
	} else if err := writeSecretFile(plan.OneTimePasswordFile.ValueString(), u.OneTimePassword); err != nil {
		// Nobody holds the password: take the invitation back.
		if derr := r.kw.DeleteUser(ctx, u.ID); derr != nil {
			err = errors.Join(err, derr)
		} else {
			resp.State.RemoveResource(ctx)
		}
		resp.Diagnostics.AddAttributeError(path.Root("one_time_password_file"), "Could not write the one-time password", err.Error())
		return
	}
	user := u.User
	if !plan.Enabled.ValueBool() {
		disabled := true
		if user, err = r.kw.UpdateUser(ctx, u.ID, apiv1.UpdateUser{Disabled: &disabled}); err != nil {
			apiError(&resp.Diagnostics, "disable user", err)
			return
		}
	}
	plan.fromAPI(user)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *userResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state userModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	u, err := r.kw.GetUser(ctx, state.ID.ValueString())
	if notFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		apiError(&resp.Diagnostics, "read user", err)
		return
	}
	state.fromAPI(u)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *userResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state userModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var in apiv1.UpdateUser
	if !plan.Role.Equal(state.Role) {
		in.Role = plan.Role.ValueStringPointer()
	}
	if !plan.Enabled.Equal(state.Enabled) {
		disabled := !plan.Enabled.ValueBool()
		in.Disabled = &disabled
	}
	var u apiv1.User
	var err error
	if in.Role == nil && in.Disabled == nil {
		u, err = r.kw.GetUser(ctx, state.ID.ValueString())
	} else {
		u, err = r.kw.UpdateUser(ctx, state.ID.ValueString(), in)
	}
	if err != nil {
		apiError(&resp.Diagnostics, "update user", err)
		return
	}
	plan.fromAPI(u)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *userResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state userModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.kw.DeleteUser(ctx, state.ID.ValueString()); err != nil && !notFound(err) {
		apiError(&resp.Diagnostics, "delete user", err)
	}
}

func (r *userResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, pathID, req, resp)
}
