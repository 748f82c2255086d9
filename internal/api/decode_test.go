package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
			var pe *problemError
			if !errors.As(err, &pe) || pe.status != http.StatusBadRequest || !strings.HasPrefix(pe.detail, tc.place+" ") {
				t.Fatalf("decode(%q) = %v, want a 400 naming %s", tc.body, err, tc.place)
			}
		})
	}
}

// TestBadTextPlaces checks the places badText names in nested bodies.
func TestBadTextPlaces(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":{"b":[1,{"c":"\ud800"}]}}`:                `field "a.b[1].c"`,
		`{"a":1,"b":[true,null,"x"],"c":"\udfff"}`:      `field "c"`,
		`{"m":{"k1":"v","k2":"\ud800"}}`:                `field "m.k2"`,
		`{"m":{"\ud800":"v"}}`:                          `a field name in "m"`,
		`"\ud800"`:                                      "the body",
		`{"` + strings.Repeat("k", 100) + `":"\ud800"}`: `field "` + strings.Repeat("k", 60) + `…"`,
	} {
		got, bad := badText([]byte(body))
		if !bad || got != want {
			t.Errorf("badText(%s) = %q, %v; want %q", body, got, bad, want)
		}
	}
}
