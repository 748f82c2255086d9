package cli

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
)

func newMFACmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newGroupCmd("mfa", "Turn TOTP multi-factor authentication on or off for your login",
		newMFAEnrolCmd(api, stdin, stdout, stderr),
		newMFAConfirmCmd(api, stdout),
		newMFADisableCmd(api, stdout),
	)
}

// mfaEnrolResult is mfa enrol's -o json output.
type mfaEnrolResult struct {
	apiv1.MFAEnrolment
	QRFile        string   `json:"qr_file,omitempty"`
	MFAEnabled    bool     `json:"mfa_enabled"`
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

func newMFAEnrolCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var qr, output string
	cmd := &cobra.Command{
		Use:     "enrol [--qr FILE]",
		Aliases: []string{"enroll"},
		Short:   "Start TOTP enrolment: add the account to your authenticator app, then confirm with a code",
		Long: `Start TOTP enrolment: print the otpauth:// URI and the secret for your
authenticator app (and, with --qr FILE, write the URI as a QR code PNG to a new
file). On a terminal the command then asks for a code from the app, turns MFA
on and prints your ten recovery codes once. Otherwise, or with -o json, confirm
with keywarden mfa confirm --code CODE.

Enrolling again before confirming starts over with a new secret.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&qr, "qr", "", "write the QR code PNG to this new file (mode 0600; never overwritten)")
	addOutputFlag(cmd, &output)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		if cmd.Flags().Changed("qr") && qr == "" {
			return usageError{errors.New("--qr: give a file name")}
		}
		c, err := api.client()
		if err != nil {
			return err
		}
		var qrFile *os.File
		if qr != "" {
			qrFile, err = os.OpenFile(qr, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if errors.Is(err, fs.ErrExist) {
				return usageError{fmt.Errorf("--qr %s: the file exists; Keywarden never overwrites one (choose another name)", qr)}
			}
			if err != nil {
				return fmt.Errorf("--qr: %w", err)
			}
		}
		e, err := c.BeginMFA(cmd.Context())
		if err == nil && qrFile != nil {
			err = writePNG(qrFile, e.QRCodePNG)
		}
		if err != nil {
			if qrFile != nil {
				qrFile.Close()
				os.Remove(qr)
			}
			return err
		}
		res := mfaEnrolResult{MFAEnrolment: e, QRFile: qr}
		if output == outputJSON {
			return writeJSON(stdout, res)
		}
		fields := []field{{"URI", e.OTPAuthURI}, {"Secret", e.Secret}}
		if qr != "" {
			fields = append(fields, field{"QR code", qr})
		}
		if _, err := io.WriteString(stdout, "Add this account to your authenticator app: scan the QR code, open the URI, or type the secret.\n\n"); err != nil {
			return err
		}
		if err := writeFields(stdout, fields); err != nil {
			return err
		}
		p := newPrompter(stdin, stderr)
		if !p.tty {
			_, err := io.WriteString(stdout, "\nMFA is not on yet. Confirm with a code from the app:\n  keywarden mfa confirm --code CODE\n")
			return err
		}
		fmt.Fprintln(stdout)
		code, err := p.plain("Code from the app: ")
		if errors.Is(err, errNoAnswer) || (err == nil && normalizeCode(code) == "") {
			_, err := io.WriteString(stdout, "MFA is not on yet. Confirm with: keywarden mfa confirm --code CODE\n")
			return err
		}
		if err != nil {
			return err
		}
		rc, err := c.ConfirmMFA(cmd.Context(), normalizeCode(code))
		if err != nil {
			return fmt.Errorf("%w; MFA is not on: try again with keywarden mfa confirm --code CODE", err)
		}
		return printRecoveryCodes(stdout, rc)
	}
	return cmd
}

func writePNG(f *os.File, b64 string) error {
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("the server's QR code is not base64: %w", err)
	}
	if _, err := f.Write(png); err != nil {
		f.Close()
		return fmt.Errorf("write the QR code: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the QR code: %w", err)
	}
	return nil
}

func printRecoveryCodes(w io.Writer, rc apiv1.RecoveryCodes) error {
	if _, err := io.WriteString(w, "MFA is on. Logins now need a code from your authenticator app.\n"); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nRecovery codes:\n\n%s\n\nEach works once, in place of a code from the app when you cannot use it. They are shown\nonly this once: store them now, away from the device with your app.\n",
		strings.Join(rc.RecoveryCodes, "\n"))
	return err
}

func newMFAConfirmCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var code, output string
	cmd := &cobra.Command{
		Use:   "confirm --code CODE",
		Short: "Turn MFA on with a code from your authenticator app and print the recovery codes once",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&code, "code", "", "the 6-digit code from your authenticator app (required)")
	addOutputFlag(cmd, &output)
	cmd.MarkFlagRequired("code")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		if normalizeCode(code) == "" {
			return usageError{errors.New("--code: give the code from your authenticator app")}
		}
		c, err := api.client()
		if err != nil {
			return err
		}
		rc, err := c.ConfirmMFA(cmd.Context(), normalizeCode(code))
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, rc)
		}
		return printRecoveryCodes(stdout, rc)
	}
	return cmd
}

func newMFADisableCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var code, output string
	cmd := &cobra.Command{
		Use:   "disable --code CODE",
		Short: "Turn MFA off; needs a current code from your authenticator app or an unused recovery code",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&code, "code", "", "a current 6-digit code from your authenticator app, or an unused recovery code (required)")
	addOutputFlag(cmd, &output)
	cmd.MarkFlagRequired("code")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		if normalizeCode(code) == "" {
			return usageError{errors.New("--code: give a code from your authenticator app or a recovery code")}
		}
		c, err := api.client()
		if err != nil {
			return err
		}
		if err := c.DisableMFA(cmd.Context(), normalizeCode(code)); err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, struct {
				MFAEnabled bool `json:"mfa_enabled"`
			}{false})
		}
		_, err = io.WriteString(stdout, "MFA is off. Your recovery codes no longer work.\n")
		return err
	}
	return cmd
}
