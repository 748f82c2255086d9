package keywarden_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"

	kwapi "keywarden/api"
	"keywarden/pkg/keywarden"
)

// notInSDK are the documented operations the SDK leaves out, and why.
var notInSDK = map[string]string{
	"oauthToken":              "clients get tokens with a standard OAuth 2.0 library (golang.org/x/oauth2/clientcredentials)",
	"oauthIntrospect":         "resource servers introspect with their OAuth 2.0 library, authenticated as a client",
	"oauthRevoke":             "clients revoke their own tokens with their OAuth 2.0 library",
	"oauthMetadataOpenIDPath": "the same document as OAuthMetadata, served at the OpenID Connect path for clients that only try that one",
	"reportGitHubLeaks":       "GitHub's secret-scanning partner program calls it, signed with GitHub's own key",
}

// methodNames are the SDK methods whose names are not the operationId with
// its first letter upper-cased (Go spells initialisms in one case).
var methodNames = map[string]string{
	"openapi":       "OpenAPI",
	"oauthMetadata": "OAuthMetadata",
	"oauthJWKS":     "OAuthJWKS",
}

// TestSDKMatchesOpenAPI keeps the SDK and api/openapi.yaml from drifting
// apart. It calls every exported method of *Client (with every argument
// filled in) against a server that routes by the document's operations,
// and checks that
//
//   - every documented operation has its method (the operationId with its
//     first letter upper-cased), which calls exactly that operation, and
//     every method calls documented operations only;
//   - the token is sent exactly to the operations that need one;
//   - a body is sent where the document has one and required, never where
//     it has none, and its Go type has exactly the schema's properties;
//   - the query parameters the SDK can send are exactly the documented ones;
//   - the Go type of each answer has exactly the properties of the
//     documented success response (extra Go fields only where the schema
//     allows additional properties).
//
// It compares property names and JSON kinds, not schema names, so
// renaming a schema cannot break it; values and their constraints are the
// server's tests' business (internal/api checks real answers against the
// document).
func TestSDKMatchesOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	rec := newRecorder(t, doc)
	c := keywarden.New(rec.srv.URL, "kwt_drift-test-token", rec.srv.Client(), keywarden.WithRetry(keywarden.RetryPolicy{MaxAttempts: 1}))

	calledBy := map[string][]string{} // operationId → methods that call it
	cv := reflect.ValueOf(c)
	for i := range cv.NumMethod() {
		name := cv.Type().Method(i).Name
		t.Run(name, func(t *testing.T) {
			hits := rec.callMethod(t, cv.Method(i))
			if len(hits) == 0 {
				t.Fatalf("%s sends no request", name)
			}
			for _, h := range hits {
				calledBy[h.op.OperationID] = append(calledBy[h.op.OperationID], name)
			}
		})
	}

	for _, op := range documentedOperations(doc) {
		id := op.op.OperationID
		if reason, ok := notInSDK[id]; ok {
			t.Logf("%s (%s %s) is not in the SDK: %s", id, op.method, op.path, reason)
			continue
		}
		want := sdkMethodName(id)
		if !slices.Contains(calledBy[id], want) {
			t.Errorf("%s %s (operationId %s) has no SDK method %s that calls it (called by %v)", op.method, op.path, id, want, calledBy[id])
		}
	}
	for id := range notInSDK {
		if _, ok := calledBy[id]; ok {
			t.Errorf("notInSDK lists %s, but the SDK calls it", id)
		}
		if !slices.ContainsFunc(documentedOperations(doc), func(o documentedOp) bool { return o.op.OperationID == id }) {
			t.Errorf("notInSDK lists %s, which api/openapi.yaml does not document", id)
		}
	}
}

func sdkMethodName(operationID string) string {
	if n, ok := methodNames[operationID]; ok {
		return n
	}
	r := []rune(operationID)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(kwapi.OpenAPI)
	if err != nil {
		t.Fatalf("load api/openapi.yaml: %v", err)
	}
	return doc
}

// documentedOp is one operation of the document with where it lives.
type documentedOp struct {
	method, path string
	item         *openapi3.PathItem
	op           *openapi3.Operation
}

func documentedOperations(doc *openapi3.T) []documentedOp {
	var ops []documentedOp
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, documentedOp{method: method, path: path, item: item, op: op})
		}
	}
	return ops
}

// hit is one request the recorder received.
type hit struct {
	documentedOp
	auth        string
	contentType string
	body        []byte
	query       []string
}

// recorder is an HTTP server with one route per documented operation. It
// records each request and answers it with the operation's success status
// and an empty body of its media type.
type recorder struct {
	doc *openapi3.T
	srv *httptest.Server
	mu  sync.Mutex
	got []hit
}

func newRecorder(t *testing.T, doc *openapi3.T) *recorder {
	rec := &recorder{doc: doc}
	mux := http.NewServeMux()
	for _, op := range documentedOperations(doc) {
		mux.HandleFunc(op.method+" "+op.path, func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			h := hit{documentedOp: op, auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type"), body: b}
			for k := range r.URL.Query() {
				h.query = append(h.query, k)
			}
			rec.mu.Lock()
			rec.got = append(rec.got, h)
			rec.mu.Unlock()
			answer(w, op.op)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("%s %s is not a documented operation", r.Method, r.URL.Path)
		http.Error(w, "undocumented", http.StatusNotFound)
	})
	rec.srv = httptest.NewServer(mux)
	t.Cleanup(rec.srv.Close)
	return rec
}

// answer writes the operation's lowest 2xx status with an empty body of
// its media type.
func answer(w http.ResponseWriter, op *openapi3.Operation) {
	status, resp := successResponse(op)
	for mt := range resp.Content {
		w.Header().Set("Content-Type", mt)
		w.WriteHeader(status)
		if strings.Contains(mt, "json") {
			io.WriteString(w, "{}")
		} else {
			io.WriteString(w, "openapi: 3.1.0\n")
		}
		return
	}
	w.WriteHeader(status)
}

func successResponse(op *openapi3.Operation) (int, *openapi3.Response) {
	best, status := (*openapi3.Response)(nil), 0
	for code, ref := range op.Responses.Map() {
		var n int
		if len(code) == 3 && code[0] == '2' {
			n = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
		}
		if n != 0 && (status == 0 || n < status) {
			best, status = ref.Value, n
		}
	}
	return status, best
}

// callMethod calls an SDK method with every argument filled in and checks
// each request it sends, and its answer's type, against the document.
func (rec *recorder) callMethod(t *testing.T, m reflect.Value) []hit {
	rec.mu.Lock()
	rec.got = nil
	rec.mu.Unlock()
	args := make([]reflect.Value, m.Type().NumIn())
	for i := range args {
		if m.Type().In(i) == reflect.TypeFor[context.Context]() {
			args[i] = reflect.ValueOf(t.Context())
		} else {
			args[i] = filled(m.Type().In(i))
		}
	}
	results := m.Call(args)
	if err := drain(results); err != nil {
		t.Fatalf("error: %v", err)
	}
	rec.mu.Lock()
	hits := rec.got
	rec.mu.Unlock()
	for _, h := range hits {
		ck := &shapeChecker{}
		rec.checkRequest(ck, h, args)
		if len(hits) == 1 && m.Type().NumOut() == 2 {
			if _, resp := successResponse(h.op); resp != nil {
				ck.compareAnswer(results[0].Type(), resp)
			}
		}
		for _, p := range ck.problems {
			t.Errorf("%s %s (%s): %s", h.method, h.path, h.op.OperationID, p)
		}
	}
	return hits
}

// drain returns a method's error; an iterator is run to its end.
func drain(results []reflect.Value) error {
	if first := results[0]; first.Kind() == reflect.Func && first.Type().CanSeq2() {
		for _, err := range first.Seq2() {
			if !err.IsNil() {
				return err.Interface().(error)
			}
		}
		return nil
	}
	err, _ := results[len(results)-1].Interface().(error)
	return err
}

func (rec *recorder) checkRequest(ck *shapeChecker, h hit, args []reflect.Value) {
	if anonymous(rec.doc, h.op) {
		if h.auth != "" {
			ck.add("sends the token to an operation that needs none")
		}
	} else if !strings.HasPrefix(h.auth, "Bearer ") {
		ck.add("sends no bearer token to an operation that needs one")
	}
	documented := queryParameters(h.item, h.op)
	for _, q := range h.query {
		if !slices.Contains(documented, q) {
			ck.add("sends the query parameter " + q + ", which the document does not have")
		}
	}
	for _, q := range documented {
		if !slices.Contains(h.query, q) {
			ck.add("cannot send the documented query parameter " + q)
		}
	}
	ck.compareBody(h, args)
}

func anonymous(doc *openapi3.T, op *openapi3.Operation) bool {
	sec := doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	return len(sec) == 0 || slices.ContainsFunc(sec, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 })
}

func queryParameters(item *openapi3.PathItem, op *openapi3.Operation) []string {
	var out []string
	for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
		if p.Value != nil && p.Value.In == "query" {
			out = append(out, p.Value.Name)
		}
	}
	return out
}

// compareBody checks the request body: present when the document requires
// one, absent when it has none, and of the schema's shape. The Go type is
// the argument that encodes to the body; a body the SDK builds itself is
// compared by its keys.
func (ck *shapeChecker) compareBody(h hit, args []reflect.Value) {
	rb := h.op.RequestBody
	switch {
	case len(h.body) == 0:
		if rb != nil && rb.Value.Required {
			ck.add("sends no body, but the document requires one")
		}
		return
	case rb == nil:
		ck.add("sends a body, but the operation takes none")
		return
	case h.contentType != "application/json":
		ck.add("sends the body as " + h.contentType)
	}
	mt := rb.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		ck.add("sends JSON, but the document's body is not application/json")
		return
	}
	for _, a := range args {
		if b, err := json.Marshal(a.Interface()); err == nil && bytes.Equal(b, h.body) {
			ck.strictExtra = true
			ck.compare("body", a.Type(), mt.Schema.Value)
			return
		}
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(h.body, &keys); err != nil {
		ck.add("the body is not a JSON object")
		return
	}
	o := flatten(mt.Schema.Value)
	for k := range keys {
		if _, ok := o.props[k]; !ok {
			ck.add("body: sends " + k + ", which the schema does not have")
		}
	}
	for k := range o.props {
		if _, ok := keys[k]; !ok {
			ck.add("body: cannot send the schema's property " + k)
		}
	}
}

// compareAnswer checks an answer's Go type against the success response's
// JSON schema. Raw bytes (a YAML document) and iterators are not compared.
func (ck *shapeChecker) compareAnswer(t reflect.Type, resp *openapi3.Response) {
	if t == reflect.TypeFor[[]byte]() || t.Kind() == reflect.Func {
		return
	}
	for mt, media := range resp.Content {
		if strings.Contains(mt, "json") && media.Schema != nil {
			ck.strictExtra = false
			ck.compare("answer", t, media.Schema.Value)
			return
		}
	}
	ck.add("the SDK decodes an answer the document says has no JSON body")
}

// filled returns a value of type t with every field, element and pointer
// set, so that an SDK method sends every field and parameter it can.
func filled(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	fill(v)
	return v
}

func fill(v reflect.Value) {
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	case v.Type() == reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte("{}"))
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.String:
		v.SetString("x1")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(filled(v.Type().Key()), filled(v.Type().Elem()))
		v.Set(m)
	}
}

// shapeChecker compares Go types with schemas by property names and JSON
// kinds.
type shapeChecker struct {
	// strictExtra makes a Go field the schema lacks a problem even where
	// the schema allows additional properties: the server refuses unknown
	// fields in requests.
	strictExtra bool
	problems    []string
}

func (ck *shapeChecker) add(p string) { ck.problems = append(ck.problems, p) }

// object is a schema with its allOf parts merged.
type object struct {
	props      map[string]*openapi3.Schema
	additional *openapi3.Schema // the schema of additional properties, if any
	closed     bool             // additional properties are refused
	kinds      []string         // the JSON kinds it allows; empty: any
	items      *openapi3.Schema
}

func flatten(s *openapi3.Schema) object {
	o := object{props: map[string]*openapi3.Schema{}}
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		for name, p := range s.Properties {
			o.props[name] = p.Value
		}
		if a := s.AdditionalProperties; a.Has != nil && !*a.Has {
			o.closed = true
		} else if a.Schema != nil {
			o.additional = a.Schema.Value
		}
		if u := s.UnevaluatedProperties; u.Has != nil && !*u.Has {
			o.closed = true
		}
		if s.Items != nil {
			o.items = s.Items.Value
		}
		o.kinds = append(o.kinds, s.Type.Slice()...)
		for _, v := range append(slices.Clone(s.Enum), s.Const) {
			if k := kindOf(v); k != "" {
				o.kinds = append(o.kinds, k)
			}
		}
		for _, part := range s.AllOf {
			walk(part.Value)
		}
		for _, alt := range append(slices.Clone(s.AnyOf), s.OneOf...) {
			o.kinds = append(o.kinds, flatten(alt.Value).kinds...)
		}
	}
	walk(s)
	if len(o.props) > 0 || o.additional != nil {
		o.kinds = append(o.kinds, "object")
	}
	return o
}

func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, int:
		return "number"
	}
	return ""
}

func (o object) allows(kinds ...string) bool {
	if len(o.kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if slices.Contains(o.kinds, k) {
			return true
		}
	}
	return false
}

// compare checks Go type t against schema s at the place named at.
func (ck *shapeChecker) compare(at string, t reflect.Type, s *openapi3.Schema) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	o := flatten(s)
	switch {
	case t == reflect.TypeFor[json.RawMessage](), t.Kind() == reflect.Interface:
		return
	case t == reflect.TypeFor[time.Time]():
		ck.kind(at, o, "string")
	case t.Kind() == reflect.Struct:
		ck.compareStruct(at, t, o)
	case t.Kind() == reflect.Map:
		ck.kind(at, o, "object")
		if o.additional != nil {
			ck.compare(at+"[key]", t.Elem(), o.additional)
		}
		for name, p := range o.props {
			ck.compare(at+"."+name, t.Elem(), p)
		}
	case t.Kind() == reflect.Slice:
		ck.kind(at, o, "array")
		if o.items != nil {
			ck.compare(at+"[]", t.Elem(), o.items)
		}
	case t.Kind() == reflect.String:
		ck.kind(at, o, "string")
	case t.Kind() == reflect.Bool:
		ck.kind(at, o, "boolean")
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		ck.kind(at, o, "integer", "number")
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		ck.kind(at, o, "number")
	default:
		ck.add(at + ": the SDK's Go type " + t.String() + " has no JSON counterpart here")
	}
}

func (ck *shapeChecker) kind(at string, o object, kinds ...string) {
	if !o.allows(kinds...) {
		ck.add(at + ": the Go type is a " + kinds[0] + "; the schema allows " + strings.Join(o.kinds, ", "))
	}
}

func (ck *shapeChecker) compareStruct(at string, t reflect.Type, o object) {
	ck.kind(at, o, "object")
	fields := jsonFields(t)
	for name, ft := range fields {
		switch p, ok := o.props[name]; {
		case ok:
			ck.compare(at+"."+name, ft, p)
		case o.additional != nil:
			ck.compare(at+"."+name, ft, o.additional)
		case o.closed || ck.strictExtra:
			ck.add(at + "." + name + ": " + t.String() + " has this field; the schema has no such property")
		}
	}
	for name := range o.props {
		if _, ok := fields[name]; !ok {
			ck.add(at + "." + name + ": the schema has this property; " + t.String() + " has no field for it")
		}
	}
}

// jsonFields returns the JSON names of a struct's fields and their types,
// with the fields of embedded structs promoted as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	direct := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-", !f.IsExported() && !f.Anonymous:
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			for n, ft := range jsonFields(f.Type) {
				out[n] = ft
			}
		case name == "":
			direct[f.Name] = f.Type
		default:
			direct[name] = f.Type
		}
	}
	for n, ft := range direct { // shallower fields win
		out[n] = ft
	}
	return out
}
