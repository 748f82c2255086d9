package ui

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"strings"

	"github.com/pquerna/otp"

	"keywarden/internal/domain"
)

// reveal is a value shown once, in the response that created it.
type reveal struct {
	Title   string
	Lead    string
	Items   []revealItem
	File    string // download file name
	Text    string // download file contents
	Warning string
}

type revealItem struct {
	ID     string // element ID, for the copy button
	Label  string
	Value  string
	Secret bool
}

type accountData struct {
	Tab      string
	User     domain.User
	Created  stamp
	PwdSince *stamp
	Password *form
	MFA      *mfaData
	Sessions []sessionRow
}

type sessionRow struct {
	ID, Source, Agent string
	Created, Expires  stamp
	Current           bool
}

type mfaData struct {
	Enabled   bool
	Form      *form
	Enrol     *enrolView
	Recovery  *reveal
	Remaining int
	// Return is the page the forms come back to (/ui/account or /ui/welcome).
	Return string
}

type enrolView struct {
	QR     template.URL
	Secret string
	Sealed string
}

// enrolment is an MFA enrolment in progress, sealed into the confirm form
// so that a mistyped code can be retried with the same QR code.
type enrolment struct {
	Secret string `json:"s"`
	URI    string `json:"u"`
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request, rq *request) error {
	return h.renderAccount(w, r, rq, http.StatusOK, nil, nil)
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, rq *request, status int, pw *form, mfa *mfaData) error {
	now := h.now()
	u, err := h.Accounts.Me(r.Context(), rq.by)
	if err != nil {
		return err
	}
	sessions, _, err := h.Accounts.ListSessions(r.Context(), rq.by, consolePage)
	if err != nil {
		return err
	}
	if pw == nil {
		pw = newForm()
	}
	if mfa == nil {
		mfa = &mfaData{Form: newForm()}
	}
	mfa.Enabled, mfa.Remaining, mfa.Return = u.MFAEnabled, len(u.RecoveryCodes), "/ui/account"
	d := accountData{Tab: "profile", User: u, Created: newStamp(u.CreatedAt, now), PwdSince: stampPtr(u.PasswordChangedAt, now), Password: pw, MFA: mfa}
	for _, x := range sessions {
		d.Sessions = append(d.Sessions, sessionRow{ID: string(x.ID), Source: x.Source, Agent: browserName(x.UserAgent),
			Created: newStamp(x.CreatedAt, now), Expires: newStamp(x.ExpiresAt, now), Current: x.ID == rq.by.SessionID})
	}
	h.render(w, r, rq, status, "account", &page{Title: "My account", Nav: "account", Canonical: "/ui/account", Data: d})
	return nil
}

// browserName shortens a User-Agent to what people recognise.
func browserName(ua string) string {
	for _, b := range []string{"Edg/", "Firefox/", "Chrome/", "Safari/", "curl/"} {
		if i := strings.Index(ua, b); i >= 0 {
			name := strings.TrimSuffix(b, "/")
			if name == "Edg" {
				name = "Edge"
			}
			os := ""
			switch {
			case strings.Contains(ua, "Android"):
				os = "Android"
			case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"):
				os = "iOS"
			case strings.Contains(ua, "Mac OS"):
				os = "macOS"
			case strings.Contains(ua, "Windows"):
				os = "Windows"
			case strings.Contains(ua, "Linux"):
				os = "Linux"
			}
			if os != "" {
				return name + " on " + os
			}
			return name
		}
	}
	if ua == "" {
		return "Unknown client"
	}
	return ua
}

// fromWelcome reports whether a form came from the welcome page.
func fromWelcome(r *http.Request) bool { return r.PostForm.Get("return") == "/ui/welcome" }

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm()
	cur, next, confirm := r.PostForm.Get("current_password"), r.PostForm.Get("new_password"), r.PostForm.Get("confirm_password")
	if cur == "" {
		f.fieldErr("current_password", "Current password", "Enter your current password.")
	}
	if next == "" {
		f.fieldErr("new_password", "New password", "Choose a new password.")
	} else if next != confirm {
		f.fieldErr("confirm_password", "Confirm new password", "The two new passwords do not match.")
	}
	if !f.Failed() {
		err := h.Accounts.ChangePassword(r.Context(), rq.by, cur, next)
		if err == nil {
			return h.afterSetup(w, r, rq, "Your password is changed. Your other sessions were signed out.")
		}
		if !f.take(err, map[string]field{"current_password": {"current_password", "Current password"}, "new_password": {"new_password", "New password"}}) {
			return err
		}
	}
	if fromWelcome(r) {
		h.renderWelcome(w, r, rq, http.StatusUnprocessableEntity, f, nil)
		return nil
	}
	return h.renderAccount(w, r, rq, http.StatusUnprocessableEntity, f, nil)
}

// afterSetup goes on from a password change or MFA enrolment: to the
// welcome page while the account is still restricted, else on.
func (h *Handler) afterSetup(w http.ResponseWriter, r *http.Request, rq *request, msg string) error {
	if !fromWelcome(r) {
		h.setFlash(w, r, "success", msg)
		redirect(w, r, "/ui/account")
		return nil
	}
	by, err := h.authenticate(r)
	if err != nil {
		return err
	}
	if by.by.Restricted != "" {
		h.setFlash(w, r, "success", msg)
		redirect(w, r, "/ui/welcome")
		return nil
	}
	h.setFlash(w, r, "success", "You are all set. Welcome to Keywarden.")
	redirect(w, r, "/ui/clients")
	return nil
}

func (h *Handler) renderMFA(w http.ResponseWriter, r *http.Request, rq *request, status int, m *mfaData) error {
	if fromWelcome(r) {
		h.renderWelcome(w, r, rq, status, newForm(), m)
		return nil
	}
	return h.renderAccount(w, r, rq, status, nil, m)
}

func qrDataURI(png []byte) template.URL {
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

func (h *Handler) beginMFA(w http.ResponseWriter, r *http.Request, rq *request) error {
	e, err := h.Accounts.BeginMFA(r.Context(), rq.by)
	m := &mfaData{Form: newForm()}
	if err != nil {
		if !m.Form.take(err, nil) {
			return err
		}
		return h.renderMFA(w, r, rq, http.StatusConflict, m)
	}
	m.Enrol = &enrolView{QR: qrDataURI(e.QRPNG), Secret: groupKey(e.Secret), Sealed: h.seal(enrolment{Secret: e.Secret, URI: e.URI}, rq.by.ID)}
	return h.renderMFA(w, r, rq, http.StatusOK, m)
}

// groupKey splits a TOTP key into groups of four for typing.
func groupKey(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (h *Handler) confirmMFA(w http.ResponseWriter, r *http.Request, rq *request) error {
	m := &mfaData{Form: newForm()}
	var e enrolment
	if err := h.unseal(r.PostForm.Get("enrolment"), rq.by.ID, &e); err != nil {
		m.Form.formErr("The enrolment expired. Start again.")
		return h.renderMFA(w, r, rq, http.StatusUnprocessableEntity, m)
	}
	code := strings.ReplaceAll(strings.TrimSpace(r.PostForm.Get("code")), " ", "")
	var codes []string
	var err error
	if code == "" {
		m.Form.fieldErr("code", "Code", "Enter the 6-digit code your app shows.")
	} else {
		codes, err = h.Accounts.ConfirmMFA(r.Context(), rq.by, code)
		if err != nil && !m.Form.take(err, map[string]field{"code": {"code", "Code"}}) {
			return err
		}
	}
	if m.Form.Failed() {
		if key, kerr := otp.NewKeyFromURL(e.URI); kerr == nil {
			if img, ierr := key.Image(240, 240); ierr == nil {
				var buf bytes.Buffer
				if png.Encode(&buf, img) == nil {
					m.Enrol = &enrolView{QR: qrDataURI(buf.Bytes()), Secret: groupKey(e.Secret), Sealed: r.PostForm.Get("enrolment")}
				}
			}
		}
		return h.renderMFA(w, r, rq, http.StatusUnprocessableEntity, m)
	}
	m.Recovery = &reveal{
		Title: "Two-step verification is on",
		Lead:  "Save these recovery codes. Each one signs you in once if you lose your device.",
		File:  "keywarden-recovery-codes.txt",
		Text: "Keywarden recovery codes for " + rq.me.Email + "\nEach code works once.\n\n" +
			strings.Join(codes, "\n") + "\n",
		Warning: "These codes are shown only once. Store them somewhere safe now.",
	}
	for i, c := range codes {
		m.Recovery.Items = append(m.Recovery.Items, revealItem{ID: "code-" + itoa(i), Value: c})
	}
	if fromWelcome(r) {
		// The account may be usable now: show the codes on the welcome
		// page with a way on.
		h.renderWelcome(w, r, rq, http.StatusOK, newForm(), m)
		return nil
	}
	return h.renderAccount(w, r, rq, http.StatusOK, nil, m)
}

func (h *Handler) disableMFA(w http.ResponseWriter, r *http.Request, rq *request) error {
	m := &mfaData{Form: newForm()}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if code == "" {
		m.Form.fieldErr("disable_code", "Code", "Enter a current code from your app, or a recovery code.")
		return h.renderAccount(w, r, rq, http.StatusUnprocessableEntity, nil, m)
	}
	err := h.Accounts.DisableMFA(r.Context(), rq.by, code)
	if err != nil {
		if !m.Form.take(err, map[string]field{"code": {"disable_code", "Code"}}) {
			return err
		}
		return h.renderAccount(w, r, rq, http.StatusUnprocessableEntity, nil, m)
	}
	h.setFlash(w, r, "success", "Two-step verification is off.")
	redirect(w, r, "/ui/account")
	return nil
}

func (h *Handler) endSession(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := domain.SessionID(r.PathValue("sid"))
	if err := h.Accounts.EndSession(r.Context(), rq.by, id); err != nil {
		return err
	}
	if id == rq.by.SessionID {
		h.clearCookie(w, r, SessionCookie, "/")
		redirect(w, r, "/ui/login")
		return nil
	}
	h.setFlash(w, r, "success", "That session is signed out.")
	redirect(w, r, "/ui/account")
	return nil
}
