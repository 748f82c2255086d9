package ui

import (
	"fmt"
	"strings"
	"time"

	"keywarden/internal/domain"
)

// expiryHint tells a date field what the policy allows the viewer.
type expiryHint struct {
	MaxDays    int
	MaxDate    string // DD/MM/YYYY
	MaxISO     string // YYYY-MM-DD, for the calendar's max
	MinISO     string // today
	AllowNever bool
	Text       string
	// EditText is the hint of the edit dialog, where an empty field
	// removes the expiry.
	EditText string
}

func newExpiryHint(pol domain.Policy, role domain.Role, now time.Time, allowNever bool) expiryHint {
	limit := now.Add(pol.MaxLifetime(role))
	e := expiryHint{MaxDays: pol.MaxSecretLifetimeDays[role], MaxDate: dmy(limit), MaxISO: limit.UTC().Format("2006-01-02"),
		MinISO: now.UTC().Format("2006-01-02"), AllowNever: allowNever && pol.AllowNeverExpire}
	if e.AllowNever {
		e.Text = fmt.Sprintf("Leave empty for no expiry. Your role may pick any date up to %s (%s).", e.MaxDate, plural(e.MaxDays, "day"))
		e.EditText = e.Text
	} else {
		e.Text = fmt.Sprintf("Leave empty for the longest your role allows: %s, until %s.", plural(e.MaxDays, "day"), e.MaxDate)
		// Editing, an empty field would remove the expiry, which the
		// policy refuses: the hint says what the rule says.
		e.EditText = fmt.Sprintf("Your organisation's policy requires an expiry: pick a date up to %s (%s from today).", e.MaxDate, plural(e.MaxDays, "day"))
	}
	return e
}

// expiry is what a date field asked for.
type expiry struct {
	At    *time.Time // nil: the policy's longest, unless Never
	Never bool
}

// readExpiry reads a DD/MM/YYYY field against the policy for role and
// records a problem on f. Empty means no expiry where the policy allows
// it (and allowNever), else the longest the policy allows.
func readExpiry(f *form, name, label, raw string, pol domain.Policy, role domain.Role, now time.Time, allowNever bool) expiry {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return expiry{Never: allowNever && pol.AllowNeverExpire}
	}
	day, err := parseDMY(raw)
	if err != nil {
		f.fieldErr(name, label, sentence(err.Error()))
		return expiry{}
	}
	limit := now.Add(pol.MaxLifetime(role))
	if day.After(limit) && !sameDay(day, limit) {
		f.fieldErr(name, label, fmt.Sprintf("Your organisation's policy allows at most %s for your role (%s): choose %s or earlier.",
			plural(pol.MaxSecretLifetimeDays[role], "day"), RoleName(role), dmy(limit)))
		return expiry{}
	}
	at, err := expiryFromDate(day, now, limit)
	if err != nil {
		f.fieldErr(name, label, sentence(err.Error())+" Pick a date from "+dmy(now)+" to "+dmy(limit)+".")
		return expiry{}
	}
	return expiry{At: &at}
}
