package sqlite_test

import (
	"testing"

	"keywarden/internal/store"
	"keywarden/internal/store/storetest"
)

func TestDataKeyUpgrade(t *testing.T) {
	storetest.RunDataKeyUpgrade(t, func(t *testing.T) func() store.Store {
		dir := t.TempDir()
		return func() store.Store { return open(t, dir) }
	})
}
