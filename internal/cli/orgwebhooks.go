package cli

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
)

// keywarden webhook-endpoints: the organisation's own webhook endpoints.

func newOrgWebhooksCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := newGroupCmd("webhook-endpoints", "Manage the organisation's own webhook endpoints: every client's and user's events, endpoint health, expiry summaries",
		newOrgWebhooksListCmd(api, stdout),
		newOrgWebhooksCreateCmd(api, stdout),
		newOrgWebhooksShowCmd(api, stdout),
		newOrgWebhooksUpdateCmd(api, stdout),
		newOrgWebhooksDeleteCmd(api, stdout),
		newOrgWebhooksRotateCmd(api, stdout),
		newOrgWebhooksDeliveriesCmd(api, stdout),
		newOrgWebhooksDeliveryCmd(api, stdout),
		newOrgWebhooksRedeliverCmd(api, stdout),
		newOrgWebhooksReplayCmd(api, stdout),
		newOrgWebhooksDeletePayloadCmd(api, stdout),
	)
	cmd.Aliases = []string{"webhook-endpoint"}
	return cmd
}

// orgEventTypes adds, for help texts, the events only organisation
// endpoints receive.
var orgEventTypes = append(append([]string{}, eventTypes...), "secret.leaked (reserved)",
	"webhook.endpoint_failing", "webhook.endpoint_exhausted", "webhook.endpoint_disabled", "webhook.endpoint_recovered",
	"secrets.expiring_summary")

func eventsText(events []string) string {
	if len(events) == 0 {
		return "all"
	}
	return strings.Join(events, " ")
}

func printOrgEndpoint(w io.Writer, ep apiv1.OrgWebhookEndpoint) error {
	failed := "-"
	if ep.Replayed > 0 {
		failed = strconv.Itoa(ep.Replayed) + ", replayed"
	} else if ep.Replayable > 0 && ep.ReplaySince != nil {
		failed = strconv.Itoa(ep.Replayable) + " (keywarden webhook-endpoints replay " + ep.ID + " --since " + formatOptTime(ep.ReplaySince, "") + ")"
	}
	return writeFields(w, []field{
		{"Endpoint ID", ep.ID},
		{"URL", ep.URL},
		{"Description", ep.Description},
		{"Events", eventsText(ep.Events)},
		{"Status", ep.Status},
		{"Secret created", formatTime(ep.SecretCreatedAt)},
		{"Previous secret until", formatOptTime(ep.PreviousSecretUntil, "-")},
		{"Failing since", formatOptTime(ep.FailingSince, "-")},
		{"Retries exhausted", formatOptTime(ep.RetriesExhaustedAt, "-")},
		{"Disabled", formatOptTime(ep.DisabledAt, "-")},
		{"Disabled because", ep.DisabledReason},
		{"Failed meanwhile", failed},
	})
}

func printCreatedOrgEndpoint(w io.Writer, ep apiv1.CreatedOrgWebhookEndpoint) error {
	if err := printOrgEndpoint(w, ep.OrgWebhookEndpoint); err != nil {
		return err
	}
	return printOnce(w, ep.Secret, "signing secret")
}

func newOrgWebhooksListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List the organisation's webhook endpoints", Args: noArgs}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, _ []string) (view, error) {
		l, err := c.ListOrgWebhookEndpoints(ctx)
		return show(l, func(w io.Writer, l apiv1.OrgWebhookEndpointList) error {
			t := newTable(w, "ENDPOINT ID", "URL", "EVENTS", "STATUS", "FAILING SINCE")
			for _, ep := range l.Items {
				t.row(ep.ID, ep.URL, eventsText(ep.Events), ep.Status, formatOptTime(ep.FailingSince, "-"))
			}
			return t.flush()
		}), err
	}})
	return cmd
}

func newOrgWebhooksCreateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var in apiv1.CreateOrgWebhookEndpoint
	cmd := &cobra.Command{
		Use:   "create --url URL",
		Short: "Register an organisation webhook endpoint and print its signing secret once",
		Long: `Register an organisation webhook endpoint. It receives the events of every
client and user of the organisation that --event selects (default: all),
signed with a Standard Webhooks secret (whsec_…) that is printed this once.

Event types: ` + strings.Join(orgEventTypes, ", ") + `.
An entry may also be a group such as secret.* or webhook.*, or *.`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	fs.StringVar(&in.URL, "url", "", "the endpoint's URL (required; https, a public host)")
	fs.StringVar(&in.Description, "description", "", "what the endpoint is for")
	fs.StringSliceVar(&in.Events, "event", nil, "an event type to receive (repeat, or separate with commas; default all)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(*cobra.Command, []string) error {
			if in.URL == "" {
				return usageError{errors.New("--url: required")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, _ []string) (view, error) {
			ep, err := c.CreateOrgWebhookEndpoint(ctx, in)
			return show(ep, printCreatedOrgEndpoint), err
		},
	})
	return cmd
}

func newOrgWebhooksShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "show ENDPOINT_ID", Short: "Show an organisation webhook endpoint and its health", Args: exactArgs(1)}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		ep, err := c.GetOrgWebhookEndpoint(ctx, args[0])
		return show(ep, printOrgEndpoint), err
	}})
	return cmd
}

func newOrgWebhooksUpdateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var url, description string
	var events []string
	var all, disable, enable bool
	var in apiv1.UpdateOrgWebhookEndpoint
	cmd := &cobra.Command{
		Use:   "update ENDPOINT_ID",
		Short: "Change, disable or enable an organisation webhook endpoint",
		Long: `Change an organisation webhook endpoint; only the flags given change.
--enable enables a disabled endpoint and prints how many deliveries failed
meanwhile; with --replay they are sent again at once.`,
		Args: exactArgs(1),
	}
	fs := cmd.Flags()
	fs.StringVar(&url, "url", "", "a new URL (starts with a clean health record)")
	fs.StringVar(&description, "description", "", "a new description")
	fs.StringSliceVar(&events, "event", nil, "an event type to receive, replacing the selection (repeat)")
	fs.BoolVar(&all, "all-events", false, "receive every event type")
	fs.BoolVar(&disable, "disable", false, "stop deliveries until enabled")
	fs.BoolVar(&enable, "enable", false, "enable a disabled endpoint")
	fs.BoolVar(&in.Replay, "replay", false, "with --enable, replay what failed meanwhile")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(*cobra.Command, []string) error {
			setIfChanged(fs, "url", &in.URL, url)
			setIfChanged(fs, "description", &in.Description, description)
			switch {
			case all && fs.Changed("event"):
				return usageError{errors.New("--all-events and --event: give one of them")}
			case disable && enable:
				return usageError{errors.New("--disable and --enable: give one of them")}
			case in.Replay && !enable:
				return usageError{errors.New("--replay goes with --enable")}
			case all:
				in.Events = &[]string{}
			case fs.Changed("event"):
				in.Events = &events
			}
			if disable || enable {
				in.Disabled = &disable
			}
			if in.URL == nil && in.Description == nil && in.Events == nil && in.Disabled == nil {
				return usageError{errors.New("nothing to change: give --url, --description, --event, --all-events, --disable or --enable")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			ep, err := c.UpdateOrgWebhookEndpoint(ctx, args[0], in)
			return show(ep, printOrgEndpoint), err
		},
	})
	return cmd
}

func newOrgWebhooksDeleteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "delete ENDPOINT_ID", Short: "Delete an organisation webhook endpoint and its delivery log", Args: exactArgs(1)}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		return view{
			json: struct {
				ID      string `json:"id"`
				Deleted bool   `json:"deleted"`
			}{args[0], true},
			table: message("Deleted webhook endpoint %s.\n", cell(args[0])),
		}, c.DeleteOrgWebhookEndpoint(ctx, args[0])
	}})
	return cmd
}

func newOrgWebhooksRotateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var overlap int
	cmd := &cobra.Command{
		Use:   "rotate-secret ENDPOINT_ID",
		Short: "Give an endpoint a new signing secret (printed once); the old one keeps signing for the overlap",
		Args:  exactArgs(1),
	}
	cmd.Flags().IntVar(&overlap, "overlap-seconds", 86400, "how long the previous secret keeps signing (0: not at all; at most 604800)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		ep, err := c.RotateOrgWebhookSecret(ctx, args[0], apiv1.RotateOrgWebhookSecret{OverlapSeconds: &overlap})
		return show(ep, printCreatedOrgEndpoint), err
	}})
	return cmd
}

func newOrgWebhooksDeliveriesCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newDeliveriesCmd(api, stdout, &cobra.Command{Use: "deliveries ENDPOINT_ID", Short: "List an organisation endpoint's deliveries, newest first"},
		conn.ListOrgWebhookDeliveries)
}

func newOrgWebhooksDeliveryCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "delivery ENDPOINT_ID DELIVERY_ID", Short: "Show one delivery of an organisation endpoint: its payload and every attempt", Args: exactArgs(2)}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		d, err := c.GetOrgWebhookDelivery(ctx, args[0], args[1])
		return show(d, printDelivery), err
	}})
	return cmd
}

func newOrgWebhooksRedeliverCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "redeliver ENDPOINT_ID DELIVERY_ID", Short: "Send a delivery of an organisation endpoint again now (same webhook-id)", Args: exactArgs(2)}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		d, err := c.RedeliverOrgWebhook(ctx, args[0], args[1])
		return view{json: d, table: message("delivery %s (%s) is due again now\n", d.ID, d.EventType)}, err
	}})
	return cmd
}

func newOrgWebhooksReplayCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newReplayCmd(api, stdout, &cobra.Command{
		Use:   "replay ENDPOINT_ID --since TIME",
		Short: "Send an organisation endpoint's failed (or, with --all, all) deliveries since a time again, with their webhook-ids",
	}, conn.ReplayOrgWebhook)
}

func newOrgWebhooksDeletePayloadCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "delete-payload ENDPOINT_ID DELIVERY_ID", Short: "Delete a delivery's payload now, keeping the rest of its record", Args: exactArgs(2)}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		d, err := c.DeleteOrgWebhookPayload(ctx, args[0], args[1])
		return show(d, printDelivery), err
	}})
	return cmd
}
