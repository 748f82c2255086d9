package provider

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// writeSecretFile writes a secret value to the file a configuration named,
// readable by its owner only (0600). The value goes to a new file in the
// same directory that is then renamed over the old one, so that a consumer
// reading the file while a rotation is applied sees the old value or the
// new one, never a half-written file. The error never holds the value.
func writeSecretFile(name, value string) error {
	if name == "" {
		return errors.New("no file name")
	}
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("create a file next to %s: %w", name, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	// CreateTemp makes the file 0600; Chmod keeps that if the umask or the
	// platform did otherwise.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if _, err := f.WriteString(value); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("rename to %s: %w", name, err)
	}
	return nil
}
