package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// badText finds the first string of raw, a JSON text that has already
// decoded without error, that is not Unicode text: invalid UTF-8 (RFC 8259
// §8.1) or a \u escape of an unpaired surrogate (§8.2, "\ud800").
// encoding/json turns both into U+FFFD without a word, so the value stored
// would not be the value sent. It returns the string's place (`field
// "scopes[1]"`, or "a field name" for a key) and whether it found one.
func badText(raw []byte) (string, bool) {
	type frame struct {
		object, wantKey bool
		key             string
		index           int
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
		if len(b) == 0 {
			return ""
		}
		if len(b) > 64 { // keys of maps are the caller's: echo a bounded part
			return strconv.Quote(string(b[:60]) + "…")
		}
		return strconv.Quote(string(b))
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
			return "", false // io.EOF: the end; anything else was refused by the decode before
		}
		to := dec.InputOffset()
		literal := raw[from:to] // the token, after any separator and space
		from = to
		s, isString := tok.(string)
		if isString && !unicodeText(literal) {
			if n := len(stack); n > 0 && stack[n-1].wantKey {
				if p := place(stack[:n-1]); p != "" {
					return "a field name in " + p, true
				}
				return "a field name", true
			}
			if p := place(stack); p != "" {
				return "field " + p, true
			}
			return "the body", true
		}
		top := len(stack) - 1
		switch {
		case top >= 0 && stack[top].wantKey && isString:
			stack[top].key, stack[top].wantKey = s, false
		case tok == json.Delim('{'), tok == json.Delim('['):
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: tok == json.Delim('{')})
		case tok == json.Delim('}'), tok == json.Delim(']'):
			stack = stack[:top]
			valueDone()
		default:
			valueDone()
		}
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

func hexRune(h []byte) rune {
	n, _ := strconv.ParseUint(string(h), 16, 16)
	return rune(n)
}
