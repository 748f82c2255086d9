package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// The stored login session: keywarden login writes it, later commands use
// it when no --token or KEYWARDEN_TOKEN is given, keywarden logout removes
// it.
const (
	configDirName   = "keywarden"
	sessionFileName = "session.json"
	maxSessionFile  = 64 << 10
)

// storedSession is the content of session.json. Token is a bearer
// credential: the file is private to its user (mode 0600 in a 0700
// directory).
type storedSession struct {
	Server    string    `json:"server"`
	Token     string    `json:"token"`
	SessionID string    `json:"session_id"`
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"expires_at"`
}

// sessionStore is the session file in the user's configuration directory,
// found through getenv (the same variables os.UserConfigDir reads), so that
// tests and wrappers can point it elsewhere.
type sessionStore struct {
	getenv func(string) string
}

// userConfigDir is os.UserConfigDir with the environment read through
// getenv.
func userConfigDir(getenv func(string) string) (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := getenv("AppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%AppData% is not defined")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support"), nil
		}
		return "", errors.New("$HOME is not defined")
	case "plan9":
		if h := getenv("home"); h != "" {
			return filepath.Join(h, "lib"), nil
		}
		return "", errors.New("$home is not defined")
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		if !filepath.IsAbs(d) {
			return "", errors.New("the path in $XDG_CONFIG_HOME is relative")
		}
		return d, nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config"), nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME is defined")
}

// path returns the session file's path.
func (s sessionStore) path() (string, error) {
	dir, err := userConfigDir(s.getenv)
	if err != nil {
		return "", fmt.Errorf("find the configuration directory for the session: %w", err)
	}
	return filepath.Join(dir, configDirName, sessionFileName), nil
}

// load returns the stored session, or nil when there is none. A file that
// other users could read is refused: its token may have leaked.
func (s sessionStore) load() (*storedSession, string, error) {
	p, err := s.path()
	if err != nil {
		return nil, "", err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, p, nil
	}
	if err != nil {
		return nil, p, fmt.Errorf("read the stored session: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, p, fmt.Errorf("read the stored session: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSessionFile+1))
	if err != nil {
		return nil, p, fmt.Errorf("read the stored session: %w", err)
	}
	var ss storedSession
	if len(b) > maxSessionFile || json.Unmarshal(b, &ss) != nil || ss.Server == "" || ss.Token == "" {
		return nil, p, fmt.Errorf("the stored session %s is damaged; delete it and run keywarden login again", p)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return &ss, p, unsafeSessionError{path: p, mode: info.Mode().Perm()}
	}
	return &ss, p, nil
}

// unsafeSessionError is a session file that other users could read. load
// returns the session with it, so that logout can still end the session.
type unsafeSessionError struct {
	path string
	mode fs.FileMode
}

func (e unsafeSessionError) Error() string {
	return fmt.Sprintf("the stored session %s is open to other users (mode %04o): its token may have leaked; run keywarden logout (which ends it) and log in again", e.path, e.mode)
}

// save writes the session: the directory is created (or tightened) to
// 0700 and the file, replaced atomically, is 0600.
func (s sessionStore) save(ss storedSession) (string, error) {
	p, err := s.path()
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	// MkdirAll leaves an existing directory as it is.
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("restrict %s to its owner: %w", dir, err)
	}
	b, err := json.MarshalIndent(ss, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".session-*.json") // mode 0600
	if err != nil {
		return "", fmt.Errorf("store the session: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return "", fmt.Errorf("store the session: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store the session: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store the session: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("store the session: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", fmt.Errorf("store the session: %w", err)
	}
	return p, nil
}

// remove deletes the session file; a missing file is not an error.
func (s sessionStore) remove() error {
	p, err := s.path()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the stored session: %w", err)
	}
	return nil
}

// sameServer reports whether two server URLs name the same server:
// scheme and host compare case-insensitively, a trailing slash does not
// count.
func sameServer(a, b string) bool {
	ua, errA := url.Parse(strings.TrimRight(a, "/"))
	ub, errB := url.Parse(strings.TrimRight(b, "/"))
	if errA != nil || errB != nil {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) && ua.Path == ub.Path
}
