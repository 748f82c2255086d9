package api

import (
	"bytes"
	"errors"
	"keywarden/internal/problem"

	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"keywarden/pkg/apiv1"
)

// requestBodies are the types the API decodes request bodies into, one
// value each.
func requestBodies() []any {
	return []any{
		&apiv1.CreateClient{}, &apiv1.UpdateClient{}, &apiv1.CreateSecret{}, &apiv1.UpdateSecret{},
		&apiv1.Rotate{}, &apiv1.CompleteRotation{}, &apiv1.RotateKeys{}, &apiv1.RevokeAll{},
		&apiv1.UpdatePolicy{}, &apiv1.InviteUser{}, &apiv1.UpdateUser{}, &apiv1.ChangePassword{},
		&apiv1.Login{}, &apiv1.MFACode{}, &apiv1.CreatePersonalCredential{}, &apiv1.RotatePersonalCredential{},
		&apiv1.PasswordLogin{}, &struct{}{},
	}
}

// FuzzDecode feeds arbitrary bodies and content types to the strict JSON
// decoder, into every request type: a failure is always a 4xx problem,
// and a body it accepts holds no text that encoding/json had to replace
// with U+FFFD.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"Billing","scopes":["read","write"],"token_ttl_seconds":3600}`,
		`{"description":"x","expires_at":"2031-01-01T00:00:00Z","allowed_cidrs":["10.0.0.0/8"]}`,
		`{"max_secret_lifetime_days":{"client":90},"require_mfa":true}`,
		`{"email":"a@acme.test","password":"correct horse battery staple"}`,
		`{"name":"a\ud800b"}`, `{"name":"\ud83d\ude00"}`, "{\"name\":\"\xff\"}", `{"name":"\\ud800"}`,
		`{}`, ` {} `, `null`, `[]`, `{"name":"x"} {}`, `{"name":"x"}]`, `{"a":1}`, `{"name":1e400}`, ``,
	} {
		f.Add([]byte(s), "application/json", uint8(0))
	}
	f.Add([]byte(`{"name":"x"}`), "text/plain", uint8(0))
	f.Add([]byte(`{"name":"x"}`), "application/json; charset=utf-8", uint8(0))
	types := requestBodies()
	f.Fuzz(func(t *testing.T, body []byte, contentType string, which uint8) {
		proto := types[int(which)%len(types)]
		v := reflect.New(reflect.TypeOf(proto).Elem()).Interface()
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		err := decode(httptest.NewRecorder(), r, v, which&0x80 != 0)
		if err != nil {
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Status < 400 || pe.Status > 499 {
				t.Fatalf("decode error %v is not a 4xx problem", err)
			}
			if p := problem.For(err); p.Status != pe.Status || !utf8.ValidString(p.Detail) {
				t.Fatalf("problem %+v for %v", p, err)
			}
			return
		}
		sent := bytes.Contains(body, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`))
		if !sent && hasReplacement(reflect.ValueOf(v)) {
			t.Fatalf("decode accepted %q and stored U+FFFD: %+v", body, v)
		}
	})
}

// hasReplacement reports whether any string inside v holds U+FFFD.
func hasReplacement(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasReplacement(v.Elem())
	case reflect.String:
		return strings.ContainsRune(v.String(), utf8.RuneError)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && hasReplacement(v.Field(i)) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if hasReplacement(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if hasReplacement(it.Key()) || hasReplacement(it.Value()) {
				return true
			}
		}
	}
	return false
}

// FuzzQuery feeds arbitrary query strings to the one query parser and to
// the list parameters read through it: every refusal is a 4xx, and what
// is accepted is text given once.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"", "limit=10", "limit=0", "limit=201", "limit=1e3", "cursor=MTIzfGFiYw", "tokens=keep&tokens=revoke",
		"action=client.create&since=2026-01-01T00:00:00Z", "a=%zz", "a=%ff", "a;b=c", "a=%00", "=x", "a", "a&a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = raw
		q, err := queryOf(r)
		_, perr := pageFrom(r)
		for _, err := range []error{err, perr} {
			if err != nil {
				if p := problem.For(err); p.Status < 400 || p.Status > 499 {
					t.Fatalf("query %q: %v is not a 4xx", raw, err)
				}
			}
		}
		if err != nil {
			return
		}
		values, _ := url.ParseQuery(raw)
		for k, v := range q {
			if len(values[k]) != 1 || values[k][0] != v || !utf8.ValidString(k+v) {
				t.Fatalf("query %q: accepted %q=%q, parsed %q", raw, k, v, values[k])
			}
		}
		if len(q) != len(values) {
			t.Fatalf("query %q: %d parameters, parsed %d", raw, len(q), len(values))
		}
	})
}
