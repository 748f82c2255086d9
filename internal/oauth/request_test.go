package oauth

import (
	"errors"
	"net/http/httptest"
	"testing"

	"keywarden/internal/credential"
)

// TestClientAuthOneMethod: a request authenticates with exactly one
// method; a client assertion needs RFC 7523's type, and mixing it with
// Basic or client_secret is invalid_request.
func TestClientAuthOneMethod(t *testing.T) {
	jwtType := credential.AssertionType
	tests := []struct {
		name      string
		form      form
		basic     bool
		wantCode  string
		wantID    string
		assertion string
	}{
		{name: "assertion", form: form{"client_assertion_type": jwtType, "client_assertion": "a.b.c"}, assertion: "a.b.c"},
		{name: "assertion with client_id", form: form{"client_assertion_type": jwtType, "client_assertion": "a.b.c", "client_id": "kwc_x"}, assertion: "a.b.c", wantID: "kwc_x"},
		{name: "assertion and Basic", form: form{"client_assertion_type": jwtType, "client_assertion": "a.b.c"}, basic: true, wantCode: "invalid_request"},
		{name: "assertion and client_secret", form: form{"client_assertion_type": jwtType, "client_assertion": "a.b.c", "client_id": "kwc_x", "client_secret": "s"}, wantCode: "invalid_request"},
		{name: "assertion without type", form: form{"client_assertion": "a.b.c"}, wantCode: "invalid_request"},
		{name: "type without assertion", form: form{"client_assertion_type": jwtType}, wantCode: "invalid_request"},
		{name: "empty assertion", form: form{"client_assertion_type": jwtType, "client_assertion": ""}, wantCode: "invalid_request"},
		{name: "SAML assertion type", form: form{"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer", "client_assertion": "x"}, wantCode: "invalid_client"},
		{name: "client_secret_post", form: form{"client_id": "kwc_x", "client_secret": "s"}, wantID: "kwc_x"},
		{name: "nothing", form: form{}, wantCode: "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/oauth2/token", nil)
			if tc.basic {
				r.SetBasicAuth("kwc_x", "s")
			}
			cc, err := clientAuth(r, tc.form)
			if tc.wantCode != "" {
				var oe *Error
				if !errors.As(err, &oe) || oe.Code != tc.wantCode {
					t.Fatalf("clientAuth = %+v, %v; want %s", cc, err, tc.wantCode)
				}
				return
			}
			if err != nil || cc.Assertion != tc.assertion || cc.ID != tc.wantID {
				t.Fatalf("clientAuth = %+v, %v", cc, err)
			}
		})
	}
}
