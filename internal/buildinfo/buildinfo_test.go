package buildinfo_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"keywarden/internal/buildinfo"
)

func TestFrom(t *testing.T) {
	t.Parallel()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "keywarden", Version: "v0.0.0-20260501120000-3f2a9c1d0b7e+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "3f2a9c1d0b7e5a4f0e1d2c3b4a5968778695a4b3"},
			{Key: "vcs.time", Value: "2026-05-01T12:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		}}
	tests := []struct {
		name                  string
		bi                    *debug.BuildInfo
		version, commit, date string
		want                  buildinfo.Info
		line                  string
	}{
		{"from a checkout", vcs, "", "", "",
			buildinfo.Info{Version: "v0.0.0-20260501120000-3f2a9c1d0b7e+dirty", Commit: "3f2a9c1d0b7e5a4f0e1d2c3b4a5968778695a4b3", Modified: true,
				CommitTime: "2026-05-01T12:00:00Z", GoVersion: "go1.26.8", Platform: platform},
			"keywarden v0.0.0-20260501120000-3f2a9c1d0b7e+dirty (commit 3f2a9c1d0b7e, modified, committed 2026-05-01T12:00:00Z, go1.26.8 " + platform + ")"},
		{"a release build overrides everything", vcs, "v1.4.0", "a1b2c3d", "2026-06-01T08:30:00Z",
			buildinfo.Info{Version: "v1.4.0", Commit: "a1b2c3d", BuildTime: "2026-06-01T08:30:00Z", GoVersion: "go1.26.8", Platform: platform},
			"keywarden v1.4.0 (commit a1b2c3d, built 2026-06-01T08:30:00Z, go1.26.8 " + platform + ")"},
		{"the same commit keeps the checkout's facts", vcs, "v1.4.0", "3f2a9c1d0b7e5a4f0e1d2c3b4a5968778695a4b3", "",
			buildinfo.Info{Version: "v1.4.0", Commit: "3f2a9c1d0b7e5a4f0e1d2c3b4a5968778695a4b3", Modified: true,
				CommitTime: "2026-05-01T12:00:00Z", GoVersion: "go1.26.8", Platform: platform},
			"keywarden v1.4.0 (commit 3f2a9c1d0b7e, modified, committed 2026-05-01T12:00:00Z, go1.26.8 " + platform + ")"},
		{"no build information", nil, "", "", "",
			buildinfo.Info{Version: "(devel)", GoVersion: runtime.Version(), Platform: platform},
			"keywarden (devel) (" + runtime.Version() + " " + platform + ")"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := buildinfo.From(tc.bi, tc.version, tc.commit, tc.date)
			if got != tc.want {
				t.Errorf("From = %+v\nwant   %+v", got, tc.want)
			}
			if got.String() != tc.line {
				t.Errorf("String = %q\nwant     %q", got.String(), tc.line)
			}
		})
	}
}

// TestReadInATestBinary checks Read against the test binary's own build
// information: the toolchain always embeds its version.
func TestReadInATestBinary(t *testing.T) {
	t.Parallel()
	if got := buildinfo.Read(); got.GoVersion != runtime.Version() || got.Version == "" {
		t.Errorf("Read = %+v", got)
	}
}
