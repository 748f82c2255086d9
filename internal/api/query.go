package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// query is a request's URL query, every parameter given at most once.
type query map[string]string

// queryOf parses r's query string strictly. A parameter given twice
// (?tokens=keep&tokens=revoke) is a 400, not a silent choice of one of the
// values; so are malformed percent-encoding, which url.Values would drop
// without a word, and names or values that are not UTF-8 text without
// control characters. Every handler reads its parameters through here.
func queryOf(r *http.Request) (query, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("the query string is not valid URL encoding")
	}
	q := query{}
	for k, vs := range values {
		if !queryText(k) || !queryText(vs[0]) {
			return nil, badRequest("query parameters must be UTF-8 text without control characters")
		}
		if len(vs) > 1 {
			return nil, badRequest("query parameter " + quoteParam(k) + " is repeated; give it once")
		}
		q[k] = vs[0]
	}
	return q, nil
}

func queryText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// quoteParam quotes a parameter name for a message, bounded so that a huge
// name is not echoed.
func quoteParam(k string) string {
	if len(k) > 40 {
		k = k[:40] + "…"
	}
	return strconv.Quote(k)
}
