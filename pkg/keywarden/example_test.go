package keywarden_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// A client for a server, from the same environment variables the
// keywarden command line reads. Create an API client and give it a secret.
func Example() {
	ctx := context.Background()
	c := keywarden.New(os.Getenv("KEYWARDEN_SERVER"), os.Getenv("KEYWARDEN_TOKEN"), nil)

	client, err := c.CreateClient(ctx, apiv1.CreateClient{Name: "Billing service", Scopes: []string{"invoices:read"}})
	if err != nil {
		log.Fatal(err)
	}
	secret, err := c.CreateSecret(ctx, client.ClientID, apiv1.CreateSecret{Description: "production"})
	if err != nil {
		log.Fatal(err)
	}
	// secret.Value is in this answer only: hand it to the client now.
	fmt.Println(client.Name, client.Status, strings.HasPrefix(secret.Value, "kws_"), secret.Masked == "kws_…"+secret.Hint)
	// Output: Billing service active true true
}

// A refused request is an error that carries the server's problem
// details: the status, the problem type, and which fields were wrong.
func ExampleError() {
	ctx := context.Background()
	c := keywarden.New(os.Getenv("KEYWARDEN_SERVER"), os.Getenv("KEYWARDEN_TOKEN"), nil)
	client, err := c.CreateClient(ctx, apiv1.CreateClient{Name: "Reports"})
	if err != nil {
		log.Fatal(err)
	}

	yesterday := time.Now().Add(-24 * time.Hour)
	_, err = c.CreateSecret(ctx, client.ClientID, apiv1.CreateSecret{Description: "backdated", ExpiresAt: &yesterday})
	var p *apiv1.Problem
	if errors.As(err, &p) {
		fmt.Println(p.Status, p.Type)
		for _, f := range p.Errors {
			fmt.Printf("%s: %s\n", f.Field, f.Message)
		}
	}
	_, err = c.GetClient(ctx, "kwc_0000000000000000000000")
	fmt.Println(keywarden.HasStatus(err, http.StatusNotFound))
	// Output:
	// 422 https://keywarden.dev/problems/invalid
	// expires_at: must be in the future
	// true
}

// Clients iterates over every client, fetching the pages as the loop goes.
func ExampleClient_Clients() {
	ctx := context.Background()
	c := keywarden.New(os.Getenv("KEYWARDEN_SERVER"), os.Getenv("KEYWARDEN_TOKEN"), nil)
	for i := range 3 {
		if _, err := c.CreateClient(ctx, apiv1.CreateClient{Name: fmt.Sprintf("nightly-job-%d", i)}); err != nil {
			log.Fatal(err)
		}
	}

	for client, err := range c.Clients(ctx, keywarden.ClientQuery{ListOptions: keywarden.ListOptions{Limit: 2}}) {
		if err != nil {
			log.Fatal(err)
		}
		if strings.HasPrefix(client.Name, "nightly-job-") {
			fmt.Println(client.Name)
		}
	}
	// Output:
	// nightly-job-0
	// nightly-job-1
	// nightly-job-2
}

// A rotation without downtime: a new secret now, the old one working for
// an hour more, and a rotation record that says when the old one is no
// longer used.
func ExampleClient_RotateSecrets() {
	ctx := context.Background()
	c := keywarden.New(os.Getenv("KEYWARDEN_SERVER"), os.Getenv("KEYWARDEN_TOKEN"), nil)
	client, err := c.CreateClient(ctx, apiv1.CreateClient{Name: "Payments"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.CreateSecret(ctx, client.ClientID, apiv1.CreateSecret{Description: "first"}); err != nil {
		log.Fatal(err)
	}

	grace := 3600
	rot, err := c.RotateSecrets(ctx, client.ClientID, apiv1.Rotate{Description: "second", GraceSeconds: &grace})
	if err != nil {
		log.Fatal(err)
	}
	// rot.Value is the new secret, shown this once.
	fmt.Println(rot.Description, rot.New, len(rot.Previous), rot.Rotation.State)
	status, err := c.GetRotation(ctx, client.ClientID, rot.Rotation.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(status.SafeToRevoke)
	// Output:
	// second true 1 started
	// false
}

// Retries are for requests that are safe to repeat, answered 429 or 503;
// the policy bounds how often and how long the client waits.
func ExampleWithRetry() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := keywarden.New(os.Getenv("KEYWARDEN_SERVER"), os.Getenv("KEYWARDEN_TOKEN"),
		&http.Client{Timeout: 10 * time.Second},
		keywarden.WithRetry(keywarden.RetryPolicy{MaxAttempts: 5, MaxWait: 30 * time.Second}))

	h, err := c.Readyz(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Status)
	// Output: ok
}

// The audit log of one object, newest first.
func ExampleClient_AuditEvents() {
	ctx := context.Background()
	c := keywarden.New(os.Getenv("KEYWARDEN_SERVER"), os.Getenv("KEYWARDEN_TOKEN"), nil)
	client, err := c.CreateClient(ctx, apiv1.CreateClient{Name: "Audited"})
	if err != nil {
		log.Fatal(err)
	}
	name := "Audited twice"
	if _, err := c.UpdateClient(ctx, client.ClientID, apiv1.UpdateClient{Name: &name}); err != nil {
		log.Fatal(err)
	}

	for e, err := range c.AuditEvents(ctx, keywarden.AuditQuery{Target: client.ClientID}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Action, e.Result)
	}
	// Output:
	// client.update success
	// client.create success
}
