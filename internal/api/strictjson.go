package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// strictProblem walks raw, a JSON text that has just decoded into a value
// of type t without error, and describes the first thing in it that
// encoding/json let through but the API refuses ("" when there is none):
//
//   - a string that is not Unicode text: invalid UTF-8 (RFC 8259 §8.1) or a
//     \u escape of an unpaired surrogate (§8.2, "\ud800"), which
//     encoding/json turns into U+FFFD without a word;
//   - a field name that matches a field only when case is ignored
//     ("desCription"), which encoding/json accepts and the document does
//     not;
//   - a name given twice in one object, where encoding/json keeps the last
//     value and another parser may keep the first (RFC 8259 §4);
//   - null, which encoding/json decodes as "not given" (a PATCH with
//     "description": null would keep the description, not clear it) or as
//     a zero value inside arrays and maps; no request field is nullable;
//   - a time that is not RFC 3339 but that time.Time takes anyway (a
//     one-digit hour: Go's strict check is disabled, go.dev/issue/54580).
func strictProblem(raw []byte, t reflect.Type) string {
	type frame struct {
		fields  map[string]reflect.Type // a struct's JSON names; nil when names are data
		elem    reflect.Type            // the values' type of a map, slice or array
		object  bool
		wantKey bool
		key     string
		index   int
		seen    map[string]bool
	}
	var stack []frame
	place := func(stack []frame) string {
		var b []byte
		for _, f := range stack {
			if f.object {
				if len(b) > 0 {
					b = append(b, '.')
				}
				b = append(b, f.key...)
			} else {
				b = append(append(append(b, '['), strconv.Itoa(f.index)...), ']')
			}
		}
		return quotePlace(string(b))
	}
	// valueType is the type of the value about to start.
	valueType := func() reflect.Type {
		if len(stack) == 0 {
			return t
		}
		f := stack[len(stack)-1]
		if f.fields != nil {
			return f.fields[f.key]
		}
		return f.elem
	}
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var from int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return "" // io.EOF: the end; anything else was refused by the decode before
		}
		to := dec.InputOffset()
		literal := raw[from:to] // the token, after any separator and space
		from = to
		top := len(stack) - 1
		s, isString := tok.(string)
		if top >= 0 && stack[top].wantKey && isString {
			f := &stack[top]
			in := place(stack[:top])
			switch {
			case !unicodeText(literal):
				return "a field name" + where(in) + " is not valid Unicode text"
			case f.fields != nil && !hasField(f.fields, s):
				return "unknown field " + quotePlace(s) + where(in) + " (names are case-sensitive)"
			case f.seen[s]:
				return "field " + quotePlace(s) + where(in) + " is given more than once"
			}
			f.seen[s], f.key, f.wantKey = true, s, false
			continue
		}
		if isString && !unicodeText(literal) {
			if p := place(stack); p != "" {
				return "field " + p + " is not valid Unicode text (invalid UTF-8 or an unpaired surrogate escape such as \\ud800)"
			}
			return "the body is not valid Unicode text"
		}
		if isString && isTime(valueType()) && !rfc3339.MatchString(s) {
			return "field " + place(stack) + " must be an RFC 3339 time, e.g. 2026-12-31T23:59:59Z"
		}
		if tok == nil {
			return "field " + place(stack) + " must not be null (leave a field out to keep its value)"
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			fields, elem := shape(valueType())
			stack = append(stack, frame{fields: fields, elem: elem, object: tok == json.Delim('{'),
				wantKey: tok == json.Delim('{'), seen: map[string]bool{}})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			valueDone()
		default:
			valueDone()
		}
	}
}

func where(place string) string {
	if place == "" {
		return ""
	}
	return " in " + place
}

// quotePlace quotes a place for a message; keys of maps are the caller's,
// so only a bounded part is echoed.
func quotePlace(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > 64 {
		s = s[:60] + "…"
	}
	return strconv.Quote(s)
}

func hasField(fields map[string]reflect.Type, name string) bool {
	_, ok := fields[name]
	return ok
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// shape returns, for a JSON container about to be decoded into t, the JSON
// names of t's fields when t is a struct, or the type of its values when
// t is a map, slice or array. Types that decode themselves (time.Time) and
// unknown types (any) give neither: nothing is checked inside them but text.
func shape(t reflect.Type) (map[string]reflect.Type, reflect.Type) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil, nil
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := map[string]reflect.Type{}
		addFields(fields, t)
		return fields, nil
	case reflect.Map, reflect.Slice, reflect.Array:
		return nil, t.Elem()
	}
	return nil, nil
}

// addFields adds the JSON names of t's exported fields, and of the fields
// of structs it embeds, as encoding/json promotes them.
func addFields(fields map[string]reflect.Type, t reflect.Type) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			addFields(fields, sf.Type)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fields[name] = sf.Type
	}
}

// unicodeText reports whether a JSON string literal, possibly preceded by
// separators and white space, is valid UTF-8 whose \u escapes pair every
// surrogate.
func unicodeText(literal []byte) bool {
	if !utf8.Valid(literal) {
		return false
	}
	for i := 0; i < len(literal); i++ {
		if literal[i] != '\\' {
			continue
		}
		i++ // the escaped character; the decode checked the syntax
		if literal[i] != 'u' {
			continue
		}
		r := hexRune(literal[i+1 : i+5])
		i += 4
		if !utf16.IsSurrogate(r) {
			continue
		}
		// A high surrogate must be followed at once by an escaped low one.
		if r >= 0xDC00 || i+6 >= len(literal) || literal[i+1] != '\\' || literal[i+2] != 'u' {
			return false
		}
		if low := hexRune(literal[i+3 : i+7]); low < 0xDC00 || low > 0xDFFF {
			return false
		}
		i += 6
	}
	return true
}

// rfc3339 is the date-time of RFC 3339 §5.6, with upper-case T and Z, as
// api/openapi.yaml's "format: date-time" checks it. time.Parse checks the
// ranges.
var rfc3339 = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)

// parseTime parses an RFC 3339 time, refusing what time.Parse takes beyond
// it.
func parseTime(s string) (time.Time, error) {
	if !rfc3339.MatchString(s) {
		return time.Time{}, errors.New("not an RFC 3339 time")
	}
	return time.Parse(time.RFC3339, s)
}

func isTime(t reflect.Type) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t == reflect.TypeFor[time.Time]()
}

func hexRune(h []byte) rune {
	n, _ := strconv.ParseUint(string(h), 16, 16)
	return rune(n)
}
