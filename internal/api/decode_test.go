package api

import (
	"errors"
	"keywarden/internal/problem"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// TestDecodeRefusesWhatIsNotText: encoding/json turns invalid UTF-8 and
// unpaired surrogate escapes into U+FFFD; decode refuses them with a 400
// that names the field, and accepts every well-formed way of writing text.
func TestDecodeRefusesWhatIsNotText(t *testing.T) {
	tests := []struct {
		name, body string
		place      string // "" when the body is accepted
	}{
		{"invalid UTF-8 byte", "{\"name\":\"a\xffb\"}", `field "name"`},
		{"overlong encoding", "{\"name\":\"\xc0\xaf\"}", `field "name"`},
		{"encoded surrogate", "{\"name\":\"\xed\xa0\x80\"}", `field "name"`},
		{"lone high surrogate", `{"name":"a\ud800b"}`, `field "name"`},
		{"lone high surrogate at the end", `{"name":"\ud800"}`, `field "name"`},
		{"lone low surrogate", `{"name":"\udc00"}`, `field "name"`},
		{"high surrogate then a letter", `{"name":"\ud800\u0041"}`, `field "name"`},
		{"two high surrogates", `{"name":"\ud800\ud800"}`, `field "name"`},
		{"reversed pair", `{"name":"\udc00\ud800"}`, `field "name"`},
		{"in an array", `{"name":"ok","scopes":["a","\ud800"]}`, `field "scopes[1]"`},
		{"escaped backslash before u", `{"name":"\\ud800"}`, ""},
		{"a surrogate pair", `{"name":"\ud83d\ude00"}`, ""},
		{"upper-case hex pair", `{"name":"\uD83D\uDE00"}`, ""},
		{"U+FFFD sent as such", `{"name":"\ufffd` + "\uFFFD" + `"}`, ""},
		{"multibyte text", `{"name":"Zürich 東京 😀"}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/clients", strings.NewReader(tc.body))
			var v apiv1.CreateClient
			err := decode(httptest.NewRecorder(), r, &v, false)
			if tc.place == "" {
				if err != nil {
					t.Fatalf("decode(%s) = %v, want accepted", tc.body, err)
				}
				return
			}
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Status != http.StatusBadRequest || !strings.HasPrefix(pe.Detail, "the body is not valid: "+tc.place+" ") {
				t.Fatalf("decode(%q) = %v, want a 400 naming %s", tc.body, err, tc.place)
			}
		})
	}
}

// TestStrictProblem checks what encoding/json lets through and the API
// refuses, and the places the messages name, in nested bodies.
func TestStrictProblem(t *testing.T) {
	type inner struct {
		C string `json:"c"`
	}
	type embedded struct {
		E string `json:"e"`
	}
	type body struct {
		embedded
		A struct {
			B []any `json:"b"`
		} `json:"a"`
		M     map[string]string `json:"m"`
		Items []inner           `json:"items"`
		When  *time.Time        `json:"when"`
		Plain string
	}
	typ := reflect.TypeFor[*body]()
	for raw, want := range map[string]string{
		`{"a":{"b":[1,{"c":"\ud800"}]}}`:                      `field "a.b[1].c" is not valid Unicode text`,
		`{"e":"x","m":{"k1":"v","k2":"\ud800"}}`:              `field "m.k2" is not valid Unicode text`,
		`{"m":{"\ud800":"v"}}`:                                `a field name in "m" is not valid Unicode text`,
		`{"m":{"` + strings.Repeat("k", 100) + `":"\ud800"}}`: `field "m.` + strings.Repeat("k", 58) + `…" is not valid Unicode text`,
		`{"E":"x"}`:                         `unknown field "E" (names are case-sensitive)`,
		`{"items":[{"c":"x"},{"C":"y"}]}`:   `unknown field "C" in "items[1]" (names are case-sensitive)`,
		`{"plain":"x"}`:                     `unknown field "plain" (names are case-sensitive)`,
		`{"e":"x","e":"y"}`:                 `field "e" is given more than once`,
		`{"m":{"k":"a","k":"b"}}`:           `field "k" in "m" is given more than once`,
		`{"a":{"b":[{"x":1,"X":2,"x":3}]}}`: `field "x" in "a.b[0]" is given more than once`,
		`{"e":null}`:                        `field "e" must not be null`,
		`{"items":[null]}`:                  `field "items[0]" must not be null`,
		`{"m":{"k":null}}`:                  `field "m.k" must not be null`,
		`{"when":"2031-01-01T0:00:00Z"}`:    `field "when" must be an RFC 3339 time`,
		`{"when":"2031-01-01t00:00:00z"}`:   `field "when" must be an RFC 3339 time`,
	} {
		if got := strictProblem([]byte(raw), typ); !strings.HasPrefix(got, want) {
			t.Errorf("strictProblem(%s) = %q, want %q…", raw, got, want)
		}
	}
	for _, raw := range []string{
		`{"e":"x","a":{"b":[{"any":"thing","ANY":1}]},"m":{"K":"v","k":"w"},"items":[{"c":"😀"}],"when":"2031-01-01T00:00:00Z","Plain":"x"}`,
		`{"m":{}}`, `{}`,
	} {
		if got := strictProblem([]byte(raw), typ); got != "" {
			t.Errorf("strictProblem(%s) = %q, want accepted", raw, got)
		}
	}
}

// TestDecodeNamesAreExact: encoding/json matches field names ignoring case,
// keeps the last of a repeated name and reads null as "not given"; the
// API's decoder refuses all three.
func TestDecodeNamesAreExact(t *testing.T) {
	for _, body := range []string{`{"Name":"x"}`, `{"name":"x","NAME":"y"}`, `{"name":"x","name":"y"}`, `{"name":"x","scopes":["a"],"Scopes":["b"]}`, `{"name":"x","description":null}`} {
		r := httptest.NewRequest("POST", "/v1/clients", strings.NewReader(body))
		var v apiv1.CreateClient
		var pe *problem.Error
		if err := decode(httptest.NewRecorder(), r, &v, false); !errors.As(err, &pe) || pe.Status != http.StatusBadRequest {
			t.Errorf("decode(%s) = %v, want a 400", body, err)
		}
	}
}

// TestDecodeOptionalBody: an optional body may be absent; white space
// alone is present and not JSON (RFC 8259 §2: a JSON text holds a value).
func TestDecodeOptionalBody(t *testing.T) {
	for body, ok := range map[string]bool{"": true, "{}": true, " {} ": true, "  ": false, "\n": false, "null": false} {
		r := httptest.NewRequest("POST", "/v1/clients/x/revoke-all", strings.NewReader(body))
		var v struct{}
		if err := decode(httptest.NewRecorder(), r, &v, true); (err == nil) != ok {
			t.Errorf("decode(%q) = %v, want accepted %v", body, err, ok)
		}
	}
}
