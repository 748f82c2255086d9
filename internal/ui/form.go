package ui

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"keywarden/internal/domain"
)

// form is a submitted form as it is shown again: the values typed (never
// secret ones), a message per field, and messages for the whole form,
// shown above it.
type form struct {
	Values  map[string]string
	Errors  map[string]string
	Summary []string
	// Once is the form's one-time submission token.
	Once string
}

func newForm() *form {
	return &form{Values: map[string]string{}, Errors: map[string]string{}, Once: randomToken()}
}

func (f *form) Get(k string) string { return f.Values[k] }
func (f *form) Err(k string) string { return f.Errors[k] }
func (f *form) Failed() bool        { return len(f.Errors) > 0 || len(f.Summary) > 0 }

// fieldErr records a problem with one field; the summary above the form
// lists it too, so that nothing goes unseen in a long dialog.
func (f *form) fieldErr(field, label, msg string) {
	if _, ok := f.Errors[field]; ok {
		return
	}
	f.Errors[field] = msg
	f.Summary = append(f.Summary, label+": "+lowerFirst(msg))
}

func (f *form) formErr(msg string) { f.Summary = append(f.Summary, msg) }

// field maps a service's field name to the form's and its label.
type field struct{ name, label string }

// take turns a user error from a service into messages on the form and
// reports whether it did; other errors are the caller's to return.
func (f *form) take(err error, fields map[string]field) bool {
	var inval *domain.ValidationError
	var conflict *domain.ConflictError
	var forbidden *domain.ForbiddenError
	switch {
	case errors.As(err, &inval):
		for _, fe := range inval.Fields() {
			key := fe.Field
			if i := strings.IndexByte(key, '.'); i > 0 && fields[key].name == "" {
				key = key[:i]
			}
			msg := fe.Message
			if strings.HasSuffix(fe.Field, "_seconds") {
				msg = secondsInWords(msg)
			}
			if m, ok := fields[key]; ok {
				f.fieldErr(m.name, m.label, sentence(msg))
			} else {
				f.formErr(fieldMessage(fe.Field, msg))
			}
		}
		return true
	case errors.As(err, &conflict):
		f.formErr(sentence(conflict.Reason))
		return true
	case errors.As(err, &forbidden):
		f.formErr(sentence(forbidden.Reason))
		return true
	}
	return false
}

// fieldMessage words a field error for people: "Description is required."
func fieldMessage(name, msg string) string {
	if name == "" {
		return sentence(msg)
	}
	label := strings.ReplaceAll(name, "_", " ")
	return sentence(upperFirst(label) + " " + msg)
}

// upperFirst capitalises the first letter, a rune rather than a byte (the
// first byte of "élan" alone is not text).
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n <= 1 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// lowerFirst lowercases a message's first letter unless it starts an
// acronym ("ID", "URL").
func lowerFirst(s string) string {
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z') {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

// secondsBetween is a limit in seconds as the services word it.
var secondsBetween = regexp.MustCompile(`between (\d+) and (\d+)`)

// secondsInWords words a service's "between 60 and 2592000" (seconds) as
// "between 1 minute and 30 days (60 to 2592000 seconds)".
func secondsInWords(msg string) string {
	return secondsBetween.ReplaceAllStringFunc(msg, func(m string) string {
		p := secondsBetween.FindStringSubmatch(m)
		lo, err1 := strconv.Atoi(p[1])
		hi, err2 := strconv.Atoi(p[2])
		if err1 != nil || err2 != nil {
			return m
		}
		return "between " + duration(lo) + " and " + duration(hi) + " (" + p[1] + " to " + p[2] + " seconds)"
	})
}
