package provider

import (
	"context"
	"crypto/rand"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Lengths of a generated supplied value: the server takes 24 to 512
// characters; 48 letters and digits are 285 bits.
const (
	defaultRandomSecretLength = 48
	minRandomSecretLength     = 24
	maxRandomSecretLength     = 512
)

func newRandomSecretEphemeralResource() ephemeral.EphemeralResource {
	return &randomSecretEphemeralResource{}
}

// randomSecretEphemeralResource is ephemeral.keywarden_random_secret: a
// value made on the machine that runs Terraform, for the write-only
// value_wo of keywarden_client_secret and, in the same apply, the
// write-only attribute of wherever the callers read it from. Ephemeral:
// Terraform keeps it in neither state nor plan.
type randomSecretEphemeralResource struct{ ephemeralAPI }

var _ ephemeral.EphemeralResourceWithConfigure = (*randomSecretEphemeralResource)(nil)

type randomSecretModel struct {
	Length types.Int64  `tfsdk:"length"`
	Value  types.String `tfsdk:"value"`
}

func (e *randomSecretEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_random_secret"
}

func (e *randomSecretEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A random secret value (letters and digits from the operating system's CSPRNG), made anew each time Terraform opens it and never stored. " +
			"Pass it to `value_wo` of `keywarden_client_secret` and, in the same apply, to the write-only attribute of the secret store your callers read. " +
			"Both take a write-only value only when their `…_version` changes, so bump both versions together to rotate. Requires Terraform 1.10 or OpenTofu 1.11.",
		Attributes: map[string]schema.Attribute{
			"length": schema.Int64Attribute{
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(minRandomSecretLength, maxRandomSecretLength)},
				MarkdownDescription: "How many characters (24 to 512; default 48, about 285 bits).",
			},
			"value": schema.StringAttribute{
				Computed: true, Sensitive: true,
				MarkdownDescription: "The value.",
			},
		},
	}
}

func (e *randomSecretEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m randomSecretModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	n := defaultRandomSecretLength
	if !m.Length.IsNull() && !m.Length.IsUnknown() {
		n = int(m.Length.ValueInt64())
	}
	m.Length = types.Int64Value(int64(n))
	m.Value = types.StringValue(randomText(n))
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}

// randomText returns n letters and digits drawn uniformly by rejection
// sampling. Having no "_", it can never start with kws_, the prefix the
// server reserves for the values it generates.
func randomText(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, n)
	buf := make([]byte, 64)
	for len(out) < n {
		rand.Read(buf) // never fails (crypto/rand)
		for _, b := range buf {
			// 248 = 4·62: bytes at or above it would favour some letters.
			if b < 248 && len(out) < n {
				out = append(out, alphabet[b%62])
			}
		}
	}
	return string(out)
}
