package ui

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// stamp is a moment as the console shows it: relative ("in 12 days"),
// absolute and unambiguous ("24 Nov 2026, 14:05 UTC") and machine-readable.
type stamp struct {
	Rel  string
	Abs  string
	Date string // "24/11/2026", the order of the date fields (UTC)
	ISO  string
	Past bool
}

func newStamp(t, now time.Time) stamp {
	t = t.UTC()
	return stamp{Rel: relative(t, now), Abs: t.Format("02/01/2006 15:04 UTC"), Date: t.Format("02/01/2006"),
		ISO: t.Format(time.RFC3339), Past: !t.After(now)}
}

func stampPtr(t *time.Time, now time.Time) *stamp {
	if t == nil {
		return nil
	}
	s := newStamp(*t, now)
	return &s
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// relative says how far t is from now in words.
func relative(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if d < 0 {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		if future {
			return "in less than a minute"
		}
		return "just now"
	case d < time.Hour-30*time.Second:
		s = plural(int(math.Round(d.Minutes())), "minute")
	case d < 24*time.Hour-30*time.Minute:
		s = plural(max(1, int(math.Round(d.Hours()))), "hour")
	case d < 120*24*time.Hour:
		// Calendar days (UTC), so that a date picked 30 days ahead reads
		// "in 30 days" whatever the time of day.
		a, b := civil(now), civil(t)
		n := int(math.Round(b.Sub(a).Hours() / 24))
		if n < 0 {
			n = -n
		}
		s = plural(max(n, 1), "day")
	case d < 365*24*time.Hour:
		s = plural(int(math.Round(d.Hours()/(24*30.44))), "month")
	default:
		s = plural(int(math.Round(d.Hours()/(24*365.25))), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// dmy formats t as the date inputs take it: DD/MM/YYYY (UTC).
func dmy(t time.Time) string { return t.UTC().Format("02/01/2006") }

var errDateFormat = errors.New("enter a date as DD/MM/YYYY, e.g. 31/12/2026")

// parseDMY reads a date typed as DD/MM/YYYY (one-digit day and month and
// "-" or "." separators are accepted too) and returns its midnight, UTC.
func parseDMY(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	s = strings.NewReplacer("-", "/", ".", "/", " ", "").Replace(s)
	parts := strings.Split(s, "/")
	if len(parts) != 3 || len(parts[2]) != 4 || len(parts[0]) > 2 || len(parts[1]) > 2 {
		return time.Time{}, errDateFormat
	}
	t, err := time.Parse("2/1/2006", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not a date on the calendar; %w", s, errDateFormat)
	}
	return t, nil
}

func sameDay(a, b time.Time) bool {
	a, b = a.UTC(), b.UTC()
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// expiryFromDate turns a date picked in the console into an expiry: the
// end of that day (UTC), or the policy's limit when the date is the last
// day it allows, so that "the longest allowed" can always be picked.
func expiryFromDate(day, now, limit time.Time) (time.Time, error) {
	if day.Before(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)) {
		return time.Time{}, errors.New("must be today or later")
	}
	end := day.Add(24*time.Hour - time.Second)
	if end.After(limit) && sameDay(day, limit) {
		end = limit.UTC().Truncate(time.Second)
	}
	return end, nil
}

// duration says a number of seconds in words, e.g. "24 hours".
func duration(seconds int) string {
	if seconds <= 0 {
		return plural(0, "second")
	}
	var parts []string
	for _, u := range []struct {
		n    int
		name string
	}{{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}} {
		if seconds >= u.n {
			parts = append(parts, plural(seconds/u.n, u.name))
			seconds %= u.n
		}
	}
	return strings.Join(parts, " ")
}

func itoa(n int) string { return strconv.Itoa(n) }

// civil is t's date at midnight UTC.
func civil(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
