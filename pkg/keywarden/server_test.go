package keywarden_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	kwapi "keywarden/api"
	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// These tests run the SDK against the real server TestMain started.

func realServer() (*keywarden.Client, string) {
	base := os.Getenv("KEYWARDEN_SERVER")
	return keywarden.New(base, os.Getenv("KEYWARDEN_TOKEN"), nil), base
}

func TestClientsFollowsTheCursors(t *testing.T) {
	t.Parallel()
	c, _ := realServer()
	var want []string
	for i := range 5 {
		cl, err := c.CreateClient(t.Context(), apiv1.CreateClient{Name: fmt.Sprintf("paged-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, cl.ClientID)
	}
	var got []string
	for cl, err := range c.Clients(t.Context(), keywarden.ClientQuery{ListOptions: keywarden.ListOptions{Limit: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(want, cl.ClientID) {
			got = append(got, cl.ClientID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Clients saw %v, want %v in creation order", got, want)
	}
}

func TestTheServersDocuments(t *testing.T) {
	t.Parallel()
	c, base := realServer()
	doc, err := c.OpenAPI(t.Context())
	if err != nil || !bytes.Equal(doc, kwapi.OpenAPI) {
		t.Errorf("OpenAPI: %d bytes, %v; want the embedded document", len(doc), err)
	}
	md, err := c.OAuthMetadata(t.Context())
	if err != nil || md.Issuer != base || md.JWKSURI != base+"/.well-known/jwks.json" || !slices.Contains(md.GrantTypesSupported, "client_credentials") {
		t.Errorf("OAuthMetadata = %+v, %v", md, err)
	}
	jwks, err := c.OAuthJWKS(t.Context())
	keys, lerr := c.ListKeys(t.Context())
	if err != nil || lerr != nil || len(jwks.Keys) == 0 || len(jwks.Keys) != len(keys.Items) {
		t.Fatalf("OAuthJWKS = %+v, %v; ListKeys = %+v, %v", jwks, err, keys, lerr)
	}
	for i, k := range jwks.Keys {
		if k.Kid != keys.Items[i].ID || k.Alg != keys.Items[i].Algorithm || k.Use != "sig" || k.Kty == "" {
			t.Errorf("JWK %d = %+v, want the listed key %+v", i, k, keys.Items[i])
		}
	}
}

func TestFailedLoginIsAProblem(t *testing.T) {
	t.Parallel()
	_, base := realServer()
	_, err := keywarden.New(base, "", nil).Login(t.Context(), apiv1.Login{Email: "admin@example.com", Password: "not the password"})
	var e *keywarden.Error
	if !errors.As(err, &e) || e.Problem.Status != 401 || e.Method != "POST" || e.Path != "/v1/sessions" || keywarden.MFARequired(err) {
		t.Fatalf("Login with a wrong password: %v (%+v)", err, e)
	}
	if strings.Contains(err.Error(), "not the password") {
		t.Errorf("the error echoes the password: %v", err)
	}
}
