package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set with -ldflags "-X keywarden/internal/buildinfo.NAME=VALUE"; empty
// means "from the embedded build information".
var (
	version string
	commit  string
	date    string
)

// Info describes a build.
type Info struct {
	Version  string `json:"version"`  // module version, e.g. v1.4.0, or "(devel)"
	Commit   string `json:"commit"`   // VCS revision; "" when unknown
	Modified bool   `json:"modified"` // built from a working tree with uncommitted changes
	// BuildTime is when the binary was built (RFC 3339), as the release
	// build set it with -ldflags: the toolchain embeds no build time, so
	// that builds are reproducible. "" when unknown.
	BuildTime string `json:"build_time,omitempty"`
	// CommitTime is the time of Commit (RFC 3339), from the VCS.
	CommitTime string `json:"commit_time,omitempty"`
	GoVersion  string `json:"go_version"` // the toolchain, e.g. go1.26.8
	Platform   string `json:"platform"`   // GOOS/GOARCH
}

// Read returns the running binary's build information.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return From(bi, version, commit, date)
}

// From is Read for a given build information (nil when there is none) and
// link-time overrides: a non-empty override wins over what bi says.
func From(bi *debug.BuildInfo, version, commit, date string) Info {
	info := Info{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.Main.Version != "" {
			info.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				info.CommitTime = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if version != "" {
		info.Version = version
	}
	if commit != "" && commit != info.Commit {
		// Another commit than the checkout's: its time and state are not
		// the checkout's either.
		info.Commit, info.CommitTime, info.Modified = commit, "", false
	}
	info.BuildTime = date
	return info
}

// String is the one-line summary keywarden --version prints, e.g.
// "keywarden v1.4.0 (commit 3f2a9c1d0b7e, built 2026-05-01T12:00:00Z, go1.26.8 linux/amd64)".
func (i Info) String() string {
	var parts []string
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if i.Modified {
			c += ", modified"
		}
		parts = append(parts, "commit "+c)
	}
	switch {
	case i.BuildTime != "":
		parts = append(parts, "built "+i.BuildTime)
	case i.CommitTime != "":
		parts = append(parts, "committed "+i.CommitTime)
	}
	parts = append(parts, i.GoVersion+" "+i.Platform)
	return "keywarden " + i.Version + " (" + strings.Join(parts, ", ") + ")"
}
