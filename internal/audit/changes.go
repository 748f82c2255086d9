package audit

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"keywarden/internal/domain"
)

// Change is one field's before and after, for Entry.Changes.
func Change(field, before, after string) domain.AuditChange {
	return domain.AuditChange{Field: field, Before: before, After: after}
}

// Fields names the fields changes cover, comma-separated: the "fields"
// detail events have carried since before changes were recorded.
func Fields(changes []domain.AuditChange) string {
	names := make([]string, len(changes))
	for i, c := range changes {
		names[i] = c.Field
	}
	return strings.Join(names, ",")
}

// Diff compares two values of one JSON-encodable type (a policy) field by
// field, nested objects by dotted path ("max_secret_lifetime_days.admin"),
// and returns what differs, sorted by field. Lists compare as a whole.
func Diff(before, after any) ([]domain.AuditChange, error) {
	b, err := flatten(before)
	if err != nil {
		return nil, err
	}
	a, err := flatten(after)
	if err != nil {
		return nil, err
	}
	keys := slices.Sorted(maps.Keys(b))
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []domain.AuditChange
	for _, k := range slices.Compact(keys) {
		if b[k] != a[k] {
			out = append(out, Change(k, b[k], a[k]))
		}
	}
	return out, nil
}

func flatten(v any) (map[string]string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if prefix != "" {
					k = prefix + "." + k
				}
				walk(k, x)
			}
		case nil:
			out[prefix] = ""
		case string:
			out[prefix] = v
		case []any:
			parts := make([]string, len(v))
			for i, x := range v {
				parts[i] = fmt.Sprint(x)
			}
			out[prefix] = strings.Join(parts, ", ")
		default:
			out[prefix] = fmt.Sprint(v)
		}
	}
	walk("", tree)
	return out, nil
}
