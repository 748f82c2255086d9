package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
	"keywarden/pkg/webhooksig"
)

// eventTypes are the webhook event types, for help texts. The server
// validates selections; this list only informs.
var eventTypes = []string{"secret.created", "secret.expiring", "secret.expired", "secret.revoked",
	"refresh_token.issued", "client.updated", "client.disabled", "credential.revoked"}

func newWebhooksCmd(api *apiFlags, stdin io.Reader, stdout io.Writer) *cobra.Command {
	cmd := newGroupCmd("webhooks", "Configure client webhooks, read their delivery logs, redeliver, and verify a delivery's signatures",
		newWebhooksShowCmd(api, stdout),
		newWebhooksSetCmd(api, stdout),
		newWebhooksEnableCmd(api, stdout),
		newWebhooksDeliveriesCmd(api, stdout),
		newWebhooksDeliveryCmd(api, stdout),
		newWebhooksRedeliverCmd(api, stdout),
		newWebhooksTestCmd(api, stdout),
		newWebhooksReplayCmd(api, stdout),
		newWebhooksDeletePayloadCmd(api, stdout),
		newWebhooksKeysCmd(api, stdout),
		newWebhooksCreateKeyCmd(api, stdout),
		newWebhooksRetireKeyCmd(api, stdout),
		newWebhooksVerifyCmd(stdin, stdout),
	)
	cmd.Aliases = []string{"webhook"}
	return cmd
}

func newWebhooksShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show CLIENT_ID",
		Short: "Show a client's webhook endpoint, the events it receives, and its health",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		ep, err := c.GetWebhook(ctx, args[0])
		return show(ep, printWebhookEndpoint), err
	}})
	return cmd
}

func printWebhookEndpoint(w io.Writer, ep apiv1.WebhookEndpoint) error {
	events := strings.Join(ep.Events, " ")
	if len(ep.Events) == 0 {
		events = "all"
	}
	return writeFields(w, []field{
		{"Client ID", ep.ClientID},
		{"URL", ep.URL},
		{"Events", events},
		{"Status", ep.Status},
		{"Failing since", formatOptTime(ep.FailingSince, "-")},
		{"Retries exhausted", formatOptTime(ep.RetriesExhaustedAt, "-")},
		{"Disabled", formatOptTime(ep.DisabledAt, "-")},
		{"Disabled because", ep.DisabledReason},
		{"Failed meanwhile", replayable(ep)},
	})
}

// replayable says how many deliveries failed in the failing streak, and
// how to replay them.
func replayable(ep apiv1.WebhookEndpoint) string {
	switch {
	case ep.Replayed > 0:
		return fmt.Sprintf("%d, replayed", ep.Replayed)
	case ep.Replayable > 0 && ep.ReplaySince != nil:
		return fmt.Sprintf("%d (keywarden webhooks replay %s --since %s)", ep.Replayable, ep.ClientID, ep.ReplaySince.UTC().Format(time.RFC3339Nano))
	}
	return "-"
}

func newWebhooksSetCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var url string
	var events []string
	var all bool
	var in apiv1.UpdateClient
	cmd := &cobra.Command{
		Use:   "set CLIENT_ID",
		Short: "Set a client's webhook URL and the events it receives",
		Long: `Set a client's webhook URL and the events it receives; only the flags given change.

Event types: ` + strings.Join(eventTypes, ", ") + `.
An entry may also be a group such as secret.* or *.

The URL must be https, and its host public, unless the server runs with
--webhook-allow-private.`,
		Args: exactArgs(1),
	}
	fs := cmd.Flags()
	fs.StringVar(&url, "url", "", `webhook endpoint (--url "" removes it)`)
	fs.StringSliceVar(&events, "event", nil, "an event type to receive, replacing the current selection (repeat, or separate with commas)")
	fs.BoolVar(&all, "all-events", false, "receive every event type")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(*cobra.Command, []string) error {
			setIfChanged(fs, "url", &in.WebhookURL, url)
			switch {
			case all && fs.Changed("event"):
				return usageError{errors.New("--all-events and --event: give one of them")}
			case all:
				in.WebhookEvents = &[]string{}
			case fs.Changed("event"):
				in.WebhookEvents = &events
			}
			if in.WebhookURL == nil && in.WebhookEvents == nil {
				return usageError{errors.New("nothing to change: give --url, --event or --all-events")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			if _, err := c.UpdateClient(ctx, args[0], in); err != nil {
				return view{}, err
			}
			ep, err := c.GetWebhook(ctx, args[0])
			return show(ep, printWebhookEndpoint), err
		},
	})
	return cmd
}

func newWebhooksEnableCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enable CLIENT_ID",
		Short: "Enable a webhook endpoint that was disabled for failing too long",
		Long: `Enable a webhook endpoint that was disabled for failing too long.

It prints how many deliveries failed since the endpoint began failing; with
--replay they are sent again at once (same webhook-ids), else they stay
failed until keywarden webhooks replay.`,
		Args: exactArgs(1),
	}
	var replay bool
	cmd.Flags().BoolVar(&replay, "replay", false, "also replay the deliveries that failed since the endpoint began failing")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		enable := c.EnableWebhook
		if replay {
			enable = c.EnableWebhookAndReplay
		}
		ep, err := enable(ctx, args[0])
		return show(ep, printWebhookEndpoint), err
	}})
	return cmd
}

// payloadText is a delivery's payload, or when it was deleted.
func payloadText(d apiv1.WebhookDeliveryDetail) string {
	if d.PayloadDeletedAt != nil {
		return "deleted " + formatOptTime(d.PayloadDeletedAt, "")
	}
	return string(d.Payload)
}

func newWebhooksDeletePayloadCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete-payload CLIENT_ID DELIVERY_ID",
		Short: "Delete a webhook delivery's payload and response excerpts now, keeping the rest of its record",
		Args:  exactArgs(2),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		d, err := c.DeleteWebhookPayload(ctx, args[0], args[1])
		return show(d, printDelivery), err
	}})
	return cmd
}

func printSigningKeys(w io.Writer, list apiv1.WebhookSigningKeyList) error {
	t := newTable(w, "KEY ID", "PUBLIC KEY", "CREATED", "RETIRED")
	for _, k := range list.Items {
		t.row(k.ID, k.PublicKey, formatTime(k.CreatedAt), formatOptTime(k.RetiredAt, "-"))
	}
	return t.flush()
}

func printSigningKey(w io.Writer, k apiv1.WebhookSigningKey) error {
	return writeFields(w, []field{{"Key ID", k.ID}, {"Client ID", k.ClientID}, {"Public key", k.PublicKey},
		{"Created", formatTime(k.CreatedAt)}, {"Retired", formatOptTime(k.RetiredAt, "-")}})
}

func newWebhooksKeysCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys CLIENT_ID",
		Short: "List a client's webhook signing keys (Standard Webhooks v1a, Ed25519) with their public keys",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		l, err := c.ListWebhookSigningKeys(ctx, args[0])
		return show(l, printSigningKeys), err
	}})
	return cmd
}

func newWebhooksCreateKeyCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create-key CLIENT_ID",
		Short: "Generate an Ed25519 key that adds v1a signatures to the client's webhooks; prints its public key",
		Long: `Generate an Ed25519 key that adds Standard Webhooks v1a signatures to every
delivery of the client, next to the v1 (secret) ones. Receivers verify them
with the public key it prints (or from GET /v1/webhook-keys/CLIENT_ID)
and no secret. To rotate, create a new key, move receivers to it, then
retire the old one.`,
		Args: exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		k, err := c.CreateWebhookSigningKey(ctx, args[0])
		return show(k, printSigningKey), err
	}})
	return cmd
}

func newWebhooksRetireKeyCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retire-key CLIENT_ID KEY_ID",
		Short: "Stop a webhook signing key from signing",
		Args:  exactArgs(2),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		k, err := c.RetireWebhookSigningKey(ctx, args[0], args[1])
		return show(k, printSigningKey), err
	}})
	return cmd
}

func newWebhooksReplayCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newReplayCmd(api, stdout, &cobra.Command{
		Use:   "replay CLIENT_ID --since TIME",
		Short: "Send a client's failed (or, with --all, all) webhook deliveries since a time again, with their webhook-ids",
		Long: `Send a client's webhook deliveries created since --since again, oldest
first, with their original webhook-ids: the failed ones, or with --all every
delivered and failed one. At most 1000 per call, sent at 10 per second; the
command calls again until none is left. Pending deliveries are left alone,
so running it twice sends nothing twice.`,
	}, conn.ReplayWebhook)
}

// newReplayCmd completes cmd (its words set) as a replay of the
// deliveries of the endpoint its one argument names, calling replay (a
// client's or an organisation endpoint's) until nothing is left.
func newReplayCmd(api *apiFlags, stdout io.Writer, cmd *cobra.Command,
	replay func(c conn, ctx context.Context, id string, req apiv1.ReplayWebhook) (apiv1.WebhookReplay, error)) *cobra.Command {
	var since string
	var all bool
	cmd.Args = exactArgs(1)
	cmd.Flags().StringVar(&since, "since", "", "RFC 3339 time: replay deliveries created at or after it (required)")
	cmd.Flags().BoolVar(&all, "all", false, "replay delivered deliveries too, not only failed ones")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(_ *cobra.Command, args []string) error {
			t, err := parseRFC3339("since", since)
			if err == nil && t.IsZero() {
				err = usageError{errors.New("--since: required, an RFC 3339 time such as 2026-11-01T00:00:00Z")}
			}
			return err
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			t, _ := parseRFC3339("since", since)
			req := apiv1.ReplayWebhook{Since: t, Which: "failed"}
			if all {
				req.Which = "all"
			}
			var total apiv1.WebhookReplay
			for {
				r, err := replay(c, ctx, args[0], req)
				if err != nil {
					return view{}, err
				}
				total.Replayed += r.Replayed
				if !r.More {
					break
				}
			}
			return view{json: total, table: message("%d deliveries are due again, with their webhook-ids\n", total.Replayed)}, nil
		}})
	return cmd
}

func newWebhooksDeliveriesCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newDeliveriesCmd(api, stdout, &cobra.Command{
		Use:   "deliveries CLIENT_ID",
		Short: "List a client's webhook deliveries, newest first",
	}, conn.ListWebhookDeliveries)
}

// newDeliveriesCmd completes cmd (its words set) as the delivery log of
// the endpoint its one argument names, read with list (a client's or an
// organisation endpoint's).
func newDeliveriesCmd(api *apiFlags, stdout io.Writer, cmd *cobra.Command,
	list func(c conn, ctx context.Context, id string, q keywarden.DeliveryQuery) (apiv1.WebhookDeliveryList, error)) *cobra.Command {
	var q keywarden.DeliveryQuery
	cmd.Args = exactArgs(1)
	fs := cmd.Flags()
	fs.StringVar(&q.Status, "status", "", "only deliveries in this state: pending, delivered or failed")
	fs.IntVar(&q.Limit, "limit", 0, "page size (0: the server's default)")
	fs.StringVar(&q.Cursor, "cursor", "", "continue after a previous page (its next cursor)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: checkLimit(&q.Limit),
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			page, err := list(c, ctx, args[0], q)
			return show(page, printDeliveryList), err
		},
	})
	return cmd
}

func printDeliveryList(w io.Writer, list apiv1.WebhookDeliveryList) error {
	t := newTable(w, "DELIVERY ID", "EVENT", "STATUS", "ATTEMPTS", "LAST CODE", "CREATED", "NEXT ATTEMPT", "LAST ERROR")
	for _, d := range list.Items {
		t.row(d.ID, d.EventType, d.Status, strconv.Itoa(d.Attempts), statusCode(d.LastStatusCode), formatTime(d.CreatedAt),
			formatOptTime(d.NextAttemptAt, "-"), d.LastError)
	}
	if err := t.flush(); err != nil {
		return err
	}
	return printNextPage(w, list.NextCursor)
}

func statusCode(code int) string {
	if code == 0 {
		return "-"
	}
	return strconv.Itoa(code)
}

func newWebhooksDeliveryCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delivery CLIENT_ID DELIVERY_ID",
		Short: "Show one webhook delivery: its payload and every attempt",
		Args:  exactArgs(2),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		d, err := c.GetWebhookDelivery(ctx, args[0], args[1])
		return show(d, printDelivery), err
	}})
	return cmd
}

func printDelivery(w io.Writer, d apiv1.WebhookDeliveryDetail) error {
	owner := field{"Client ID", d.ClientID}
	if d.EndpointID != "" {
		owner = field{"Endpoint ID", d.EndpointID}
	}
	if err := writeFields(w, []field{
		{"Delivery ID", d.ID},
		owner,
		{"Event", d.EventType},
		{"Status", d.Status},
		{"Created", formatTime(d.CreatedAt)},
		{"Attempts", strconv.Itoa(d.Attempts)},
		{"Next attempt", formatOptTime(d.NextAttemptAt, "-")},
		{"Delivered", formatOptTime(d.DeliveredAt, "-")},
		{"Last error", d.LastError},
		{"Payload", payloadText(d)},
	}); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	t := newTable(w, "AT", "CODE", "LATENCY", "ERROR", "RESPONSE")
	for _, a := range d.AttemptLog {
		t.row(formatTime(a.At), statusCode(a.StatusCode), strconv.FormatInt(a.LatencyMS, 10)+"ms", a.Error, a.ResponseExcerpt)
	}
	return t.flush()
}

func newWebhooksRedeliverCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "redeliver CLIENT_ID DELIVERY_ID",
		Short: "Send a webhook delivery again now (same webhook-id), whatever its state",
		Args:  exactArgs(2),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		d, err := c.RedeliverWebhook(ctx, args[0], args[1])
		return view{json: d, table: message("delivery %s (%s) is due again now\n", d.ID, d.EventType)}, err
	}})
	return cmd
}

func newWebhooksTestCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test CLIENT_ID",
		Short: "Send a webhook.test event to the client's endpoint, delivered like any other event",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		d, err := c.SendTestWebhook(ctx, args[0])
		return view{json: d, table: message("test event queued as delivery %s; follow it with: keywarden webhooks delivery %s %s\n", d.ID, args[0], d.ID)}, err
	}})
	return cmd
}

func newWebhooksVerifyCmd(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var secrets, secretFiles, headers, headerFiles []string
	var tolerance time.Duration
	cmd := &cobra.Command{
		Use:   "verify --secret-file FILE --header 'NAME: VALUE'... < BODY",
		Short: "Verify a webhook delivery's signatures against your client secrets (offline)",
		Long: `Verify a webhook delivery against your client secrets, offline: the raw body on
standard input, the delivery's headers with --header or --header-file.

The Standard Webhooks headers (webhook-id, webhook-timestamp,
webhook-signature) must verify under one of the secrets, with a timestamp
within --tolerance of now; without them, X-Keywarden-Hmac-Sha256 must.
Exit status: 0 verified, 1 not verified, 2 usage error.

Prefer --secret-file (one secret per line; blank lines and lines starting
with # are ignored) to --secret, which shows the secret in shell history and
ps. Nothing prints a secret: the output names the one that verified by its
last four characters.`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&secrets, "secret", nil, "a client secret to verify with (repeat)")
	fs.StringArrayVar(&secretFiles, "secret-file", nil, "a file with client secrets, one per line (repeat)")
	fs.StringArrayVar(&headers, "header", nil, `a delivery header, "Name: value" (repeat)`)
	fs.StringArrayVar(&headerFiles, "header-file", nil, `a file of "Name: value" header lines, e.g. a request dump (repeat)`)
	fs.DurationVar(&tolerance, "tolerance", webhooksig.DefaultTolerance, "how far webhook-timestamp may be from now")
	cmd.RunE = addOutput(cmd, stdout).run(func(*cobra.Command, []string) (view, error) {
		if tolerance <= 0 {
			return view{}, usageError{errors.New("--tolerance: must be positive")}
		}
		list, err := readSecrets(secrets, secretFiles)
		if err != nil {
			return view{}, err
		}
		h, err := readHeaders(headers, headerFiles)
		if err != nil {
			return view{}, err
		}
		body, err := io.ReadAll(io.LimitReader(stdin, 16<<20))
		if err != nil {
			return view{}, fmt.Errorf("read the body from standard input: %w", err)
		}
		res, verr := webhooksig.Verify(list, h, body, time.Now(), tolerance)
		if errors.Is(verr, webhooksig.ErrMissingHeaders) { // as the help says: then the HMAC header alone
			res, verr = webhooksig.VerifyHMACOnly(list, h, body)
		}
		if verr != nil {
			// The JSON report says why; the table view says nothing more
			// than the error does.
			return view{json: verifyWebhookJSON{Error: verr.Error()}}, exitError{code: exitFailure, err: fmt.Errorf("not verified: %w", verr)}
		}
		out := verifyWebhookJSON{OK: true, Style: string(res.Style), ID: res.ID, SecretIndex: res.Secret, SecretHint: hint(list[res.Secret]), HMAC: res.HMAC}
		if !res.Timestamp.IsZero() {
			out.Timestamp = &res.Timestamp
		}
		return view{json: out, table: func(w io.Writer) error { return printVerified(w, res, list, h) }}, nil
	})
	return cmd
}

// readSecrets returns the --secret values and the secrets in the
// --secret-file files.
func readSecrets(secrets, files []string) ([]string, error) {
	list := append([]string(nil), secrets...)
	for _, f := range files {
		more, err := readLines(f, func(line string) bool { return !strings.HasPrefix(line, "#") })
		if err != nil {
			return nil, usageError{fmt.Errorf("--secret-file: %w", err)}
		}
		list = append(list, more...)
	}
	if len(list) == 0 {
		return nil, usageError{errors.New("no secrets: give --secret-file (or --secret)")}
	}
	return list, nil
}

// readHeaders returns the --header values and the header lines of the
// --header-file files.
func readHeaders(headers, files []string) (http.Header, error) {
	lines := append([]string(nil), headers...)
	for _, f := range files {
		more, err := readLines(f, func(line string) bool { return strings.Contains(line, ":") })
		if err != nil {
			return nil, usageError{fmt.Errorf("--header-file: %w", err)}
		}
		lines = append(lines, more...)
	}
	h := http.Header{}
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, usageError{fmt.Errorf(`--header %q: want "Name: value"`, l)}
		}
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return h, nil
}

// verifyWebhookJSON is webhooks verify's -o json output.
type verifyWebhookJSON struct {
	OK          bool       `json:"ok"`
	Error       string     `json:"error,omitempty"`
	Style       string     `json:"style,omitempty"`
	ID          string     `json:"webhook_id,omitempty"`
	Timestamp   *time.Time `json:"timestamp,omitempty"`
	SecretIndex int        `json:"secret_index,omitempty"` // 0-based, in the order given
	SecretHint  string     `json:"secret_hint,omitempty"`  // its last four characters
	HMAC        bool       `json:"hmac_header_verified,omitempty"`
}

func printVerified(w io.Writer, res webhooksig.Result, secrets []string, h http.Header) error {
	mac := "absent"
	switch {
	case res.HMAC:
		mac = "verified"
	case h.Get(webhooksig.HeaderHMAC) != "":
		mac = "does not match these secrets (it is under the client's oldest active secret)"
	}
	fields := []field{
		{"Verified", "yes, " + string(res.Style)},
		{"Secret", fmt.Sprintf("#%d (…%s)", res.Secret+1, hint(secrets[res.Secret]))},
		{webhooksig.HeaderHMAC, mac},
	}
	if res.ID != "" {
		fields = append(fields, field{"webhook-id", res.ID}, field{"webhook-timestamp", formatTime(res.Timestamp)})
	}
	return writeFields(w, fields)
}

// hint is a secret's last four characters.
func hint(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[len(s)-4:]
}

// readLines returns the trimmed, non-empty lines of a file that keep
// accepts.
func readLines(path string, keep func(string) bool) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && keep(line) {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}
