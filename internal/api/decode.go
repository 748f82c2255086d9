package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"keywarden/internal/problem"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 64 << 10

// decode reads one JSON object into v, rejecting a wrong content type,
// unknown fields, trailing data and bodies over MaxBodyBytes. With optional
// set, an empty body (no bytes at all) leaves v as it is. Every failure is
// a 4xx.
func decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	raw, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &problem.Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("the body must be at most %d bytes", MaxBodyBytes)}
		}
		return badRequest("the body could not be read")
	}
	if len(raw) == 0 && optional {
		return nil
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 { // white space alone is not a JSON text (RFC 8259 §2)
		return badRequest("the body must be a JSON object")
	}
	if trimmed[0] != '{' { // also refuses null, which would decode as "no change"
		return badRequest("the body must be a JSON object")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &problem.Error{Status: http.StatusUnsupportedMediaType, Detail: "the body must be application/json"}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not valid: " + jsonProblem(err))
	}
	// Token, not More: More reports false before a stray ']' or '}'.
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("the body must hold exactly one JSON object")
	}
	if problem := strictProblem(trimmed, reflect.TypeOf(v)); problem != "" {
		return badRequest("the body is not valid: " + problem)
	}
	return nil
}

// decodeFor is decode for a request to an object that may not exist:
// when the body is bad, exists (a read of the object) decides whether the
// answer is the object's 404 or the body's problem, so that a caller
// learns first that the object is not there. A good body costs no read:
// the service call that follows finds a missing object itself.
func (h *Handler) decodeFor(w http.ResponseWriter, r *http.Request, v any, optional bool, exists func() error) error {
	err := decode(w, r, v, optional)
	if err == nil {
		return nil
	}
	if gone := exists(); gone != nil {
		return gone
	}
	return err
}

// jsonProblem explains a decode error without echoing input values.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var perr *time.ParseError
	switch {
	case errors.As(err, &syntax):
		return "malformed JSON at byte " + strconv.FormatInt(syntax.Offset, 10)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "expected a JSON object"
		}
		return fmt.Sprintf("field %q must be %s", typ.Field, jsonType(typ.Type.String()))
	case errors.As(err, &perr), strings.Contains(err.Error(), "Time.UnmarshalJSON"):
		return "a time must be RFC 3339, e.g. 2026-12-31T23:59:59Z"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	return "malformed JSON"
}

func jsonType(goType string) string {
	switch {
	case strings.Contains(goType, "[]string"):
		return "an array of strings"
	case strings.Contains(goType, "map["):
		return "an object"
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.Contains(goType, "bool"):
		return "a boolean"
	case strings.Contains(goType, "Time"):
		return "an RFC 3339 time string"
	case strings.Contains(goType, "string"):
		return "a string"
	}
	return "of another type"
}
