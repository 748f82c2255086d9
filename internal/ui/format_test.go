package ui

import (
	"testing"
	"time"
)

func TestParseDMY(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // YYYY-MM-DD, "" for an error
	}{
		{"two digits", "31/12/2026", "2026-12-31"},
		{"one digit", "1/2/2027", "2027-02-01"},
		{"dashes", "05-06-2027", "2027-06-05"},
		{"dots and spaces", " 05.06.2027 ", "2027-06-05"},
		{"not on the calendar", "31/02/2027", ""},
		{"ISO order", "2027-06-05", ""},
		{"two-digit year", "05/06/27", ""},
		{"empty", "", ""},
		{"month 13", "01/13/2027", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDMY(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("parseDMY(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got.Format("2006-01-02") != tc.want {
				t.Fatalf("parseDMY(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestRelative(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"now", now, "just now"},
		{"soon", now.Add(20 * time.Second), "in less than a minute"},
		{"minutes ago", now.Add(-5 * time.Minute), "5 minutes ago"},
		{"an hour", now.Add(time.Hour), "in 1 hour"},
		{"almost a session", now.Add(12*time.Hour - time.Minute), "in 12 hours"},
		{"end of a day 30 days ahead", time.Date(2026, 12, 24, 23, 59, 59, 0, time.UTC), "in 30 days"},
		{"90 days", now.Add(90 * 24 * time.Hour), "in 90 days"},
		{"expired days ago", now.Add(-3 * 24 * time.Hour), "3 days ago"},
		{"months", now.Add(200 * 24 * time.Hour), "in 7 months"},
		{"years", now.Add(-800 * 24 * time.Hour), "2 years ago"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := relative(tc.t, now); got != tc.want {
				t.Errorf("relative = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExpiryFromDate(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	limit := now.Add(90 * 24 * time.Hour)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		day     time.Time
		want    time.Time
		wantErr bool
	}{
		{"today ends tonight", day(2026, 11, 24), time.Date(2026, 11, 24, 23, 59, 59, 0, time.UTC), false},
		{"a later day ends that night", day(2026, 12, 31), time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{"the limit's day is cut to the limit", day(2027, 2, 22), limit, false},
		{"yesterday", day(2026, 11, 23), time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expiryFromDate(tc.day, now, limit)
			if (err != nil) != tc.wantErr || (!tc.wantErr && !got.Equal(tc.want)) {
				t.Fatalf("expiryFromDate = %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestDurationInWords(t *testing.T) {
	for secs, want := range map[int]string{
		60: "1 minute", 3600: "1 hour", 86400: "1 day", 2592000: "30 days", 90: "1 minute 30 seconds",
		90061: "1 day 1 hour 1 minute 1 second", 0: "0 seconds",
	} {
		if got := duration(secs); got != want {
			t.Errorf("duration(%d) = %q, want %q", secs, got, want)
		}
	}
	got := secondsInWords("must be 0 (the organisation's default) or between 60 and 2592000")
	if want := "must be 0 (the organisation's default) or between 1 minute and 30 days (60 to 2592000 seconds)"; got != want {
		t.Errorf("secondsInWords = %q, want %q", got, want)
	}
}

func TestStampFormats(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	s := newStamp(time.Date(2026, 3, 5, 7, 8, 9, 0, time.FixedZone("CET", 3600)), now)
	if s.Date != "05/03/2026" || s.Abs != "05/03/2026 06:08 UTC" || s.ISO != "2026-03-05T06:08:09Z" {
		t.Errorf("stamp = %+v; want DD/MM/YYYY like the date fields, in UTC", s)
	}
}
