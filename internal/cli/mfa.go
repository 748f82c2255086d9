package cli

import (
	"context"
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
	var qr string
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
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("qr") && qr == "" {
				return usageError{errors.New("--qr: give a file name")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			e, err := beginMFA(ctx, c, qr)
			if err != nil {
				return view{}, err
			}
			return view{
				json: mfaEnrolResult{MFAEnrolment: e, QRFile: qr},
				// On a terminal the table view goes on to confirm.
				table: func(w io.Writer) error { return enrol(ctx, w, c, e, qr, newPrompter(stdin, stderr)) },
			}, nil
		},
	})
	return cmd
}

// beginMFA starts the enrolment and writes the QR code to the new file qr
// (none when qr is ""). The file is created first, so that a name that
// cannot be used costs no enrolment.
func beginMFA(ctx context.Context, c conn, qr string) (apiv1.MFAEnrolment, error) {
	var qrFile *os.File
	if qr != "" {
		var err error
		qrFile, err = os.OpenFile(qr, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return apiv1.MFAEnrolment{}, usageError{fmt.Errorf("--qr %s: the file exists; Keywarden never overwrites one (choose another name)", qr)}
		}
		if err != nil {
			return apiv1.MFAEnrolment{}, fmt.Errorf("--qr: %w", err)
		}
	}
	e, err := c.BeginMFA(ctx)
	if err == nil && qrFile != nil {
		err = writePNG(qrFile, e.QRCodePNG)
	}
	if err != nil && qrFile != nil {
		qrFile.Close()
		os.Remove(qr)
	}
	return e, err
}

// enrol shows the enrolment and, on a terminal, asks for a code and turns
// MFA on.
func enrol(ctx context.Context, w io.Writer, c conn, e apiv1.MFAEnrolment, qr string, p *prompter) error {
	fields := []field{{"URI", e.OTPAuthURI}, {"Secret", e.Secret}}
	if qr != "" {
		fields = append(fields, field{"QR code", qr})
	}
	if _, err := io.WriteString(w, "Add this account to your authenticator app: scan the QR code, open the URI, or type the secret.\n\n"); err != nil {
		return err
	}
	if err := writeFields(w, fields); err != nil {
		return err
	}
	if !p.tty {
		_, err := io.WriteString(w, "\nMFA is not on yet. Confirm with a code from the app:\n  keywarden mfa confirm --code CODE\n")
		return err
	}
	fmt.Fprintln(w)
	code, err := p.plain("Code from the app: ")
	if errors.Is(err, errNoAnswer) || (err == nil && normalizeCode(code) == "") {
		_, err := io.WriteString(w, "MFA is not on yet. Confirm with: keywarden mfa confirm --code CODE\n")
		return err
	}
	if err != nil {
		return err
	}
	rc, err := c.ConfirmMFA(ctx, normalizeCode(code))
	if err != nil {
		return fmt.Errorf("%w; MFA is not on: try again with keywarden mfa confirm --code CODE", err)
	}
	return printRecoveryCodes(w, rc)
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
	var code string
	cmd := &cobra.Command{
		Use:   "confirm --code CODE",
		Short: "Turn MFA on with a code from your authenticator app and print the recovery codes once",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&code, "code", "", "the 6-digit code from your authenticator app (required)")
	cmd.MarkFlagRequired("code")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: checkCode(&code, "--code: give the code from your authenticator app"),
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			rc, err := c.ConfirmMFA(ctx, normalizeCode(code))
			return show(rc, printRecoveryCodes), err
		},
	})
	return cmd
}

// checkCode refuses an empty --code with the message hint.
func checkCode(code *string, hint string) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		if normalizeCode(*code) == "" {
			return usageError{errors.New(hint)}
		}
		return nil
	}
}

func newMFADisableCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var code string
	cmd := &cobra.Command{
		Use:   "disable --code CODE",
		Short: "Turn MFA off; needs a current code from your authenticator app or an unused recovery code",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&code, "code", "", "a current 6-digit code from your authenticator app, or an unused recovery code (required)")
	cmd.MarkFlagRequired("code")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: checkCode(&code, "--code: give a code from your authenticator app or a recovery code"),
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			return view{
				json: struct {
					MFAEnabled bool `json:"mfa_enabled"`
				}{false},
				table: message("MFA is off. Your recovery codes no longer work.\n"),
			}, c.DisableMFA(ctx, normalizeCode(code))
		},
	})
	return cmd
}
