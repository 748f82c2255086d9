package keywarden

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// ListOptions selects one page of a paged list (clients, audit events,
// webhook deliveries).
type ListOptions struct {
	// Cursor is where the page starts: the NextCursor of the previous
	// page, as it was; "" for the first page.
	Cursor string
	// Limit is the page size, 1 to 200; 0 means the server's default (50).
	Limit int
}

// values returns the page's query parameters.
func (o ListOptions) values() url.Values {
	v := url.Values{}
	if o.Cursor != "" {
		v.Set("cursor", o.Cursor)
	}
	if o.Limit != 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	return v
}

// pages yields the items of the page that opts selects and of every page
// after it, fetching each page when the previous one is used up. It stops
// at the first error, which it yields, and when the loop body breaks.
func pages[T any](ctx context.Context, opts ListOptions, fetch func(context.Context, ListOptions) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			items, next, err := fetch(ctx, opts)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if next == opts.Cursor {
				// A server that hands out the same cursor again would make
				// this loop forever.
				var zero T
				yield(zero, fmt.Errorf("the server returned the cursor %q twice", next))
				return
			}
			opts.Cursor = next
		}
	}
}
