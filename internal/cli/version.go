package cli

import (
	"io"

	"github.com/spf13/cobra"

	"keywarden/internal/buildinfo"
)

func newVersionCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS commit and build time of this binary",
		Long: `Print the module version, the VCS commit and the build time of this binary,
and the Go toolchain it was built with: the same line as keywarden --version.
Release builds set them with -ldflags (see internal/buildinfo); a build from a
checkout reports the checkout's commit and its time.`,
		Args: noArgs,
	}
	cmd.RunE = addOutput(cmd, stdout).run(func(*cobra.Command, []string) (view, error) {
		info := buildinfo.Read()
		return view{json: info, table: message("%s\n", info)}, nil
	})
	return cmd
}
