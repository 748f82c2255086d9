package postgres_test

import (
	"testing"

	"keywarden/internal/store"
	"keywarden/internal/store/storetest"
)

func TestDataKeyUpgrade(t *testing.T) {
	dsn := testDSN(t)
	storetest.RunDataKeyUpgrade(t, func(t *testing.T) func() store.Store {
		schema := freshSchema(t, dsn)
		return func() store.Store { return open(t, schema) }
	})
}
