package oauth

import "testing"

func TestAcceptsJWT(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{"application/json"}, false},
		{[]string{"*/*"}, false},
		{[]string{"application/token-introspection+jwt"}, true},
		{[]string{"Application/Token-Introspection+JWT"}, true}, // media types are case-insensitive
		{[]string{"application/json, application/token-introspection+jwt"}, true},
		{[]string{"application/json", "application/token-introspection+jwt"}, true},
		{[]string{"application/token-introspection+jwt;q=0"}, false},
		{[]string{"application/token-introspection+jwt;q=0.5, application/json"}, false},
		{[]string{"application/token-introspection+jwt;q=0.9, application/json;q=0.5"}, true},
		{[]string{"application/token-introspection+jwt;q=2"}, false},
		{[]string{"application/token-introspection+jwt;q=high"}, false},
		{[]string{";;;, application/token-introspection+jwt"}, true},
	}
	for _, tc := range tests {
		if got := acceptsJWT(tc.accept); got != tc.want {
			t.Errorf("acceptsJWT(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}
