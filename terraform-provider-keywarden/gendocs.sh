#!/usr/bin/env bash
# Regenerates docs/ (the registry's layout) from the provider's schema and
# examples/ with tfplugindocs. The schema comes from OpenTofu
# (`tofu providers schema -json` against a freshly built provider), so
# tfplugindocs needs no Terraform binary. .ci/run runs this and fails if
# docs/ changed.
#
#   KEYWARDEN_TOFU=… KEYWARDEN_TFPLUGINDOCS=… ./gendocs.sh
set -euo pipefail
cd "$(dirname "$0")"
: "${KEYWARDEN_TOFU:?set KEYWARDEN_TOFU to an OpenTofu binary}"
: "${KEYWARDEN_TFPLUGINDOCS:?set KEYWARDEN_TFPLUGINDOCS to a tfplugindocs binary}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/bin/terraform-provider-keywarden" .
cat >"$work/tofurc" <<RC
provider_installation {
  dev_overrides {
    "registry.opentofu.org/keywarden/keywarden" = "$work/bin"
  }
  direct {
    exclude = ["*/*/*"]
  }
}
RC
mkdir "$work/config"
cat >"$work/config/main.tf" <<'TF'
terraform {
  required_providers {
    keywarden = { source = "keywarden/keywarden" }
  }
}
TF
(cd "$work/config" && TF_CLI_CONFIG_FILE="$work/tofurc" CHECKPOINT_DISABLE=1 "$KEYWARDEN_TOFU" providers schema -json) >"$work/schema.raw.json"
# tfplugindocs finds a provider by its short name.
jq '.provider_schemas |= with_entries(.key = "keywarden")' "$work/schema.raw.json" >"$work/schema.json"
"$KEYWARDEN_TFPLUGINDOCS" generate --provider-name keywarden --rendered-provider-name Keywarden \
	--providers-schema "$work/schema.json" --website-temp-dir "$work/tfplugindocs"
