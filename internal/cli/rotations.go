package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// Rotation states, as the API names them.
const (
	rotationStarted   = "started"
	rotationNewInUse  = "new_secret_in_use"
	rotationOldIdle   = "old_secret_idle"
	rotationCompleted = "completed"
	rotationAbandoned = "abandoned"
)

func newRotationsCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("rotations", "Follow secret rotations and complete them once the old secrets are idle (through the API)",
		newRotationsListCmd(api, stdout),
		newRotationsShowCmd(api, stdout),
		newRotationsCompleteCmd(api, stdout),
	)
}

func newRotationsListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list CLIENT_ID",
		Short: "List a client's rotations, newest first, with their state",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		items, err := every(c.Rotations(ctx, args[0], keywarden.ListOptions{Limit: 200}))
		list := apiv1.RotationList{Items: items}
		return show(list, printRotationList), err
	}})
	return cmd
}

func printRotationList(w io.Writer, list apiv1.RotationList) error {
	t := newTable(w, "ROTATION ID", "STATE", "SAFE TO REVOKE", "NEW SECRET", "OLD SECRETS", "STARTED", "AUTO-COMPLETE", "COMPLETED")
	for _, r := range list.Items {
		old := make([]string, 0, len(r.OldSecrets))
		for _, s := range r.OldSecrets {
			old = append(old, s.ID)
		}
		t.row(r.ID, r.State, yesNo(r.SafeToRevoke), r.NewSecret.ID, strings.Join(old, ","), formatTime(r.StartedAt),
			yesNo(r.AutoComplete), formatOptTime(r.CompletedAt, "-"))
	}
	return t.flush()
}

func newRotationsShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show CLIENT_ID ROTATION_ID",
		Short: "Show a rotation: its state, whether the old secrets are safe to revoke, and when each secret was last used",
		Args:  exactArgs(2),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		r, err := c.GetRotation(ctx, args[0], args[1])
		return show(r, func(w io.Writer, r apiv1.RotationStatus) error {
			if err := printRotation(w, r); err != nil {
				return err
			}
			return printRotationNext(w, r)
		}), err
	}})
	return cmd
}

func newRotationsCompleteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var in apiv1.CompleteRotation
	cmd := &cobra.Command{
		Use:   "complete CLIENT_ID ROTATION_ID [--keep-tokens] [--force]",
		Short: "Revoke a rotation's old secrets now and close it",
		Long: `Revoke a rotation's old secrets now and close it.

Keywarden refuses while the rotation is not "old_secret_idle", that is while
the new secret has not authenticated yet or an old secret was used within the
quiet period: revoking then would break a caller that has not switched. --force
revokes them anyway.

By default the old secrets' access tokens stop working now as well. With
--keep-tokens they keep working until they run out on their own.`,
		Args: exactArgs(2),
	}
	cmd.Flags().BoolVar(&in.KeepTokens, "keep-tokens", false, "let the old secrets' access tokens run out on their own instead of stopping them now")
	cmd.Flags().BoolVar(&in.Force, "force", false, "complete even though an old secret may still be in use")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		r, err := c.CompleteRotation(ctx, args[0], args[1], in)
		tokens := "their access tokens stopped working too"
		if in.KeepTokens {
			tokens = "their access tokens keep working until they expire"
		}
		done := message("Completed rotation %s: the old secrets are revoked; %s.\n\n", cell(r.ID), tokens)
		return view{json: r, table: then(done, func(w io.Writer) error { return printRotation(w, r) })}, err
	}})
	return cmd
}

// rotationStateHelp says what a rotation's state means for the operator.
func rotationStateHelp(r apiv1.RotationStatus) string {
	quiet := formatSeconds(r.QuietSeconds)
	switch r.State {
	case rotationStarted:
		return "the new secret has not authenticated yet: deploy it"
	case rotationNewInUse:
		return "the new secret works, but an old one was used within the last " + quiet
	case rotationOldIdle:
		return "the new secret works and no old one was used for " + quiet
	case rotationCompleted:
		return "the old secrets are revoked"
	case rotationAbandoned:
		return "the new secret is no longer active; start a new rotation"
	}
	return ""
}

func printRotation(w io.Writer, r apiv1.RotationStatus) error {
	state := r.State
	if h := rotationStateHelp(r); h != "" {
		state += " (" + h + ")"
	}
	fields := []field{
		{"Rotation ID", r.ID},
		{"Client ID", r.ClientID},
		{"State", state},
		{"Safe to revoke", yesNo(r.SafeToRevoke)},
		{"Started", formatTime(r.StartedAt) + " by " + r.StartedBy},
		{"Quiet period", formatSeconds(r.QuietSeconds)},
	}
	if r.CompletedAt == nil {
		// The rotation's own token mode applies only when Keywarden
		// completes it; rotations complete takes its own --keep-tokens.
		auto := "no: complete it with keywarden rotations complete"
		if r.AutoComplete && r.KeepTokens {
			auto = "yes, once the old secrets are idle; their access tokens then run out on their own"
		} else if r.AutoComplete {
			auto = "yes, once the old secrets are idle; their access tokens then stop working"
		}
		fields = append(fields, field{"Auto-complete", auto})
	} else {
		completed := formatTime(*r.CompletedAt)
		if r.CompletedBy != "" {
			completed += " by " + r.CompletedBy
		}
		fields = append(fields, field{"Auto-complete", yesNo(r.AutoComplete)}, field{"Completed", completed})
	}
	if err := writeFields(w, fields); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	t := newTable(w, "ROLE", "SECRET ID", "DESCRIPTION", "MASKED", "STATUS", "LAST USED", "FROM")
	row := func(role string, s apiv1.Secret) {
		from := ""
		if s.LastUsedAt != nil {
			from = s.LastUsedFrom
		}
		status := s.Status
		if s.RevokedAt != nil && s.KeepTokens {
			status += " (tokens kept)"
		}
		t.row(role, s.ID, s.Description, s.Masked, status, formatOptTime(s.LastUsedAt, "never"), from)
	}
	row("new", r.NewSecret)
	for _, s := range r.OldSecrets {
		row("old", s)
	}
	return t.flush()
}

// printRotationNext says what to do next with an open rotation.
func printRotationNext(w io.Writer, r apiv1.RotationStatus) error {
	var next string
	complete := "keywarden rotations complete " + r.ClientID + " " + r.ID
	switch {
	case r.State == rotationOldIdle && !r.AutoComplete:
		next = "Safe to revoke the old secrets: " + complete
	case r.State == rotationOldIdle:
		next = "Keywarden revokes the old secrets shortly; to do it now: " + complete
	case r.State == rotationStarted || r.State == rotationNewInUse:
		next = "Not safe to revoke the old secrets yet; to revoke them anyway: " + complete + " --force"
	default:
		return nil
	}
	_, err := fmt.Fprintf(w, "\n%s\n", cell(next))
	return err
}

// printRotationStarted is what secrets rotate says about the rotation it
// started.
func printRotationStarted(w io.Writer, r apiv1.RotationStatus) error {
	auto := ""
	if r.AutoComplete {
		auto = fmt.Sprintf("; the old secrets are revoked automatically once unused for %s after the new one authenticates", formatSeconds(r.QuietSeconds))
	}
	_, err := fmt.Fprintf(w, "\nRotation %s: %s%s\nFollow it with: keywarden rotations show %s %s\n",
		cell(r.ID), cell(r.State), auto, cell(r.ClientID), cell(r.ID))
	return err
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
