#!/usr/bin/env bash
# Generates clients from api/openapi.yaml with two common generators, in
# their default configurations, and compiles them:
#  - oapi-codegen (Go, from the module proxy): types, client, server and
#    embedded spec; the client must build and be callable as generated;
#  - openapi-typescript (npm) + tsc: request bodies with only their
#    required fields must type-check.
# Tool versions are pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
OAPI_CODEGEN=github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2
OPENAPI_TYPESCRIPT=openapi-typescript@7.13.0
TYPESCRIPT=typescript@5.9.3

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "-- oapi-codegen ($OAPI_CODEGEN)"
mkdir -p "$work/go"
printf 'module kwclient\n\ngo 1.26\n' > "$work/go/go.mod"
go run "$OAPI_CODEGEN" -package kwclient -o "$work/go/api.gen.go" api/openapi.yaml
cp .ci/openapi/client_test.go.txt "$work/go/client_test.go"
(cd "$work/go" && go mod tidy && go vet ./... && go test -count=1 ./...)

echo "-- openapi-typescript ($OPENAPI_TYPESCRIPT, $TYPESCRIPT)"
mkdir -p "$work/ts"
cp .ci/openapi/check.ts "$work/ts/check.ts"
(cd "$work/ts" && npm install --no-audit --no-fund --silent "$OPENAPI_TYPESCRIPT" "$TYPESCRIPT" >/dev/null \
	&& npx --no-install openapi-typescript "$repo/api/openapi.yaml" -o schema.d.ts \
	&& npx --no-install tsc --noEmit --strict --target es2020 --module es2020 --moduleResolution bundler check.ts)
echo "generated clients compile"
