#!/bin/sh
# Prepares the build context of deploy/container/Containerfile in DIR:
# a static binary, the CA bundle, /etc/passwd and /etc/group for the
# non-root user, and an empty data directory. Run from the repository.
set -eu
dir=${1:?usage: build-context.sh DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir/data"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/keywarden" ./cmd/keywarden)
bundle=/etc/ssl/certs/ca-certificates.crt
[ -r "$bundle" ] || { echo "build-context.sh: $bundle missing (apt-get install ca-certificates)" >&2; exit 1; }
cp "$bundle" "$dir/ca-certificates.crt"
printf 'keywarden:x:65532:65532:Keywarden:/data:/sbin/nologin\n' > "$dir/passwd"
printf 'keywarden:x:65532:\n' > "$dir/group"
cp "$root/deploy/container/Containerfile" "$dir/Containerfile"
