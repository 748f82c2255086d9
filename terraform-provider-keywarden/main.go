// Command terraform-provider-keywarden is the Terraform and OpenTofu
// provider for Keywarden. Terraform or OpenTofu starts it; it is not run
// by hand (with -debug it prints the TF_REATTACH_PROVIDERS line that lets
// a debugger-attached copy serve the CLI).
package main

import (
	"context"
	"flag"
	"log"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"keywarden/terraform-provider-keywarden/internal/provider"
)

func main() {
	debugMode := flag.Bool("debug", false, "serve for a debugger: print the reattach line instead of waiting for the CLI to start the provider")
	flag.Parse()
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   *debugMode,
	})
	if err != nil {
		log.Fatal(err)
	}
}
