// Package buildinfo says which build of Keywarden is running: the module
// version, the VCS commit and the build time, read from the build
// information the Go toolchain embeds (runtime/debug), each overridable at
// link time for release builds that are not built from a checkout:
//
//	go build -ldflags "-X keywarden/internal/buildinfo.version=v1.4.0 \
//	  -X keywarden/internal/buildinfo.commit=$(git rev-parse HEAD) \
//	  -X keywarden/internal/buildinfo.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/keywarden
//
// Nothing is read at package initialisation: Read does the work when asked.
//
// Imports: nothing.
package buildinfo
