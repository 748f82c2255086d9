package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"keywarden/pkg/keywarden"
)

// api holds the SDK client the provider configured; every resource, data
// source and ephemeral resource embeds it.
type api struct {
	kw *keywarden.Client
}

func (a *api) configure(data any, diags *diag.Diagnostics) {
	if data == nil {
		return // the provider is not configured yet (validation, unknown URL)
	}
	c, ok := data.(*keywarden.Client)
	if !ok {
		diags.AddError("Provider bug", fmt.Sprintf("provider data is %T, not *keywarden.Client", data))
		return
	}
	a.kw = c
}

func (a *api) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	a.configure(req.ProviderData, &resp.Diagnostics)
}

// dataSourceAPI and ephemeralAPI are api for the other two kinds, whose
// Configure methods take other request types.
type dataSourceAPI struct{ api }

func (a *dataSourceAPI) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	a.configure(req.ProviderData, &resp.Diagnostics)
}

type ephemeralAPI struct{ api }

func (a *ephemeralAPI) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	a.configure(req.ProviderData, &resp.Diagnostics)
}

// notFound reports whether err is the server's 404: the object is gone
// (deleted outside Terraform), so Read removes it from the state and the
// next plan creates it again.
func notFound(err error) bool {
	return keywarden.HasStatus(err, http.StatusNotFound)
}

// apiError adds err as an error diagnostic. The SDK's errors carry the
// server's problem details (status, detail, every invalid field) and never
// the token.
func apiError(diags *diag.Diagnostics, what string, err error) {
	diags.AddError("Keywarden: "+what, err.Error())
}

// splitID splits an import ID "parent/child" (a client's secret:
// "kwc_…/sec_…"). Child objects of a client — secrets today, public keys
// and federated credentials next — all import this way.
func splitID(id, want string) (string, string, error) {
	parent, child, ok := strings.Cut(id, "/")
	if !ok || parent == "" || child == "" || strings.Contains(child, "/") {
		return "", "", fmt.Errorf("the import ID must be %s, got %q", want, id)
	}
	return parent, child, nil
}

// stringSet is a Terraform set of strings from a Go slice; nil gives an
// empty set, so that "none" and "[]" are one value.
func stringSet(in []string) types.Set {
	elems := make([]attr.Value, 0, len(in))
	for _, s := range in {
		elems = append(elems, types.StringValue(s))
	}
	return types.SetValueMust(types.StringType, elems)
}

// stringsOf is the Go slice of a set or list of strings (empty, never nil,
// for null or unknown: the API reads [] as "none").
func stringsOf(ctx context.Context, v interface {
	IsNull() bool
	IsUnknown() bool
	ElementsAs(context.Context, any, bool) diag.Diagnostics
}, diags *diag.Diagnostics) []string {
	out := []string{}
	if v.IsNull() || v.IsUnknown() {
		return out
	}
	diags.Append(v.ElementsAs(ctx, &out, false)...)
	return out
}

// timeValue renders a time as RFC 3339 in UTC; nil is null.
func timeValue(t *time.Time) types.String {
	if t == nil {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

// sameInstant keeps the configuration's spelling of a time when the server
// answered the same instant in another form ("…+02:00" and "…Z"), so that
// an apply never reports an inconsistent result for a time zone.
func sameInstant(configured types.String, server types.String) types.String {
	if configured.IsNull() || configured.IsUnknown() || server.IsNull() {
		return server
	}
	a, errA := time.Parse(time.RFC3339, configured.ValueString())
	b, errB := time.Parse(time.RFC3339, server.ValueString())
	if errA == nil && errB == nil && a.Equal(b) {
		return configured
	}
	return server
}

// pathID is the id attribute every resource has.
var pathID = path.Root("id")

// replaceOnChange replaces the resource when the attribute changes from
// one value to another, but not when it is set where the state has none:
// after an import the state lacks what only the configuration knows
// (value_file, keepers, one_time_password_file), and adopting an object
// must not replace it.
const replaceOnChangeDescription = "Changing the value replaces the resource; setting it where it was unset (after an import) does not."

func replaceOnChangeString() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !req.StateValue.IsNull()
	}, replaceOnChangeDescription, replaceOnChangeDescription)
}

func replaceOnChangeMap() planmodifier.Map {
	return mapplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.MapRequest, resp *mapplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !req.StateValue.IsNull()
	}, replaceOnChangeDescription, replaceOnChangeDescription)
}
