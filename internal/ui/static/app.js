// Keywarden console: small progressive enhancements. Every page works
// without this file; with it, dialogs open as modals, values copy and
// download, the date fields get a calendar, and a few parts show only when
// they apply.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }
  // localTime words d in the browser's zone like the server's UTC times:
  // DD/MM/YYYY HH:MM, with the zone's offset.
  function localTime(d) {
    var off = -d.getTimezoneOffset(), sign = off < 0 ? "-" : "+";
    off = Math.abs(off);
    return two(d.getDate()) + "/" + two(d.getMonth() + 1) + "/" + d.getFullYear() + " " +
      two(d.getHours()) + ":" + two(d.getMinutes()) + " (UTC" + sign + two(Math.floor(off / 60)) + ":" + two(off % 60) + ")";
  }
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime()) || t.hasAttribute("data-localised")) return;
      t.setAttribute("data-localised", "");
      var utc = t.getAttribute("title") || "";
      if (d.getTimezoneOffset() === 0) return; // the browser is on UTC: as served
      if (t.hasAttribute("data-local")) {
        t.textContent = localTime(d);
        t.title = utc;
      } else {
        t.title = localTime(d) + " · " + utc;
      }
    });
  }

  ready(function () {
    // A page rendered by a POST puts its GET address in the address bar:
    // reloading then shows the page again without any value it revealed.
    var canonical = document.body.getAttribute("data-canonical");
    // (Replacing the entry even when the address is the same turns the
    // POST's history entry into a plain one: no resubmission on reload.)
    if (canonical && window.history && history.replaceState) {
      history.replaceState(null, "", canonical);
    }

    // Dialogs.
    function openDialog(d, opener) {
      if (!d || typeof d.showModal !== "function") return;
      if (d.open) d.close();
      d._opener = opener || document.activeElement;
      d.showModal();
      var focus = d.querySelector("[autofocus]") || d.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, button");
      if (focus) focus.focus();
    }
    document.addEventListener("click", function (e) {
      var opener = e.target.closest("[data-open]");
      if (opener) {
        var d = document.getElementById(opener.getAttribute("data-open"));
        if (d) {
          e.preventDefault();
          openDialog(d, opener);
        }
        return;
      }
      var closer = e.target.closest("[data-close]");
      if (closer) {
        var dc = closer.closest("dialog");
        if (dc) {
          e.preventDefault();
          dc.close();
        }
        return;
      }
      // A click on the backdrop closes the dialog.
      if (e.target.tagName === "DIALOG") {
        var r = e.target.getBoundingClientRect();
        if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) e.target.close();
      }
    });
    document.querySelectorAll("dialog").forEach(function (d) {
      d.addEventListener("close", function () {
        if (d._opener && document.contains(d._opener)) d._opener.focus();
      });
    });
    var auto = document.querySelector("dialog[data-autoopen]");
    if (auto) openDialog(auto);
    else {
      var summary = document.querySelector("[data-focus]");
      if (summary) summary.focus();
    }
    // Times: the page is served in UTC (DD/MM/YYYY HH:MM UTC, correct
    // without this script); here absolute times are shown in the browser's
    // zone with the UTC on hover, and relative ones ("in 2 hours") get both
    // on hover.
    localTimes(document);

    // A value shown once: say so to screen readers (the value itself has
    // the focus, above). The text goes in after load so the live region
    // announces it.
    var status = document.getElementById("reveal-status");
    if (status) {
      setTimeout(function () { status.textContent = status.getAttribute("data-announce"); }, 100);
    }

    // Copy to the clipboard.
    function flashButton(btn, text) {
      var label = btn.querySelector("[data-label]") || btn;
      var before = label.textContent;
      label.textContent = text;
      btn.classList.add("copied");
      var live = document.getElementById("live");
      if (live) live.textContent = text;
      setTimeout(function () { label.textContent = before; btn.classList.remove("copied"); }, 2000);
    }
    function fallbackCopy(text) {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.className = "visually-hidden";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      document.body.removeChild(ta);
      return ok;
    }
    document.addEventListener("click", function (e) {
      var btn = e.target.closest("[data-copy]");
      if (!btn) return;
      e.preventDefault();
      var src = document.getElementById(btn.getAttribute("data-copy"));
      if (!src) return;
      var text = "value" in src && src.tagName !== "CODE" ? src.value : src.textContent;
      var done = function () { flashButton(btn, "Copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {
          if (fallbackCopy(text)) done(); else flashButton(btn, "Select and copy");
        });
      } else if (fallbackCopy(text)) done();
      else flashButton(btn, "Select and copy");
    });

    // Download a value as a file, built here from the page: the value
    // never travels in a URL.
    document.addEventListener("click", function (e) {
      var btn = e.target.closest("[data-download]");
      if (!btn) return;
      e.preventDefault();
      var src = document.getElementById(btn.getAttribute("data-download"));
      if (!src) return;
      var blob = new Blob([src.value !== undefined ? src.value : src.textContent], { type: "text/plain;charset=utf-8" });
      var url = URL.createObjectURL(blob);
      var a = document.createElement("a");
      a.href = url;
      a.download = btn.getAttribute("data-filename") || "keywarden.txt";
      document.body.appendChild(a);
      a.click();
      document.body.removeChild(a);
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      flashButton(btn, "Downloaded");
    });

    // Date fields: typed as DD/MM/YYYY, with the browser's calendar.
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function toISO(dmy) {
      var m = /^(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})$/.exec((dmy || "").trim());
      return m ? m[3] + "-" + pad(+m[2]) + "-" + pad(+m[1]) : "";
    }
    document.querySelectorAll(".datefield").forEach(function (f) {
      var text = f.querySelector("input[type=text]");
      var native = f.querySelector("input[type=date]");
      var btn = f.querySelector(".date-btn");
      if (!text || !native || !btn) return;
      btn.addEventListener("click", function () {
        native.value = toISO(text.value);
        if (typeof native.showPicker === "function") {
          try { native.showPicker(); return; } catch (err) { /* fall through */ }
        }
        native.focus();
        native.click();
      });
      native.addEventListener("change", function () {
        var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(native.value);
        if (m) {
          text.value = m[3] + "/" + m[2] + "/" + m[1];
          text.dispatchEvent(new Event("input", { bubbles: true }));
          text.focus();
        }
      });
    });

    // Typed confirmations: the button works once the name is typed.
    document.querySelectorAll("input[data-confirm-match]").forEach(function (input) {
      var form = input.form;
      var btn = form && form.querySelector("[data-confirm-submit]");
      if (!btn) return;
      var check = function () { btn.disabled = input.value.trim() !== input.getAttribute("data-confirm-match"); };
      input.addEventListener("input", check);
      check();
    });

    // Tabs that do not fit scroll sideways: bring the current one into view.
    document.querySelectorAll(".tabs").forEach(function (nav) {
      var cur = nav.querySelector("[aria-current=page]");
      if (!cur || nav.scrollWidth <= nav.clientWidth) return;
      var n = nav.getBoundingClientRect(), c = cur.getBoundingClientRect();
      nav.scrollLeft += c.left - n.left - (n.width - c.width) / 2;
    });

    // Parts shown only while a choice is made (the event types while
    // "Only the events ticked" is chosen). Without this file they show.
    document.querySelectorAll("[data-shown-by]").forEach(function (el) {
      var input = document.getElementById(el.getAttribute("data-shown-by"));
      if (!input || !input.form) return;
      var sync = function () { el.hidden = !input.checked; };
      input.form.addEventListener("change", sync);
      sync();
    });

    // A rotation's page polls its facts (last uses, statements) every 5 s
    // while visible; the server derives them, the page only shows them.
    var rot = document.getElementById("rotation-live");
    if (rot && window.fetch) {
      var url = rot.getAttribute("data-live-url");
      var stage = rot.getAttribute("data-stage");
      var set = function (sel, text) {
        document.querySelectorAll(sel).forEach(function (el) { if (text && el.textContent !== text) el.textContent = text; });
      };
      var poll = function () {
        if (document.hidden) return;
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
          return r.ok ? r.json() : null;
        }).then(function (f) {
          if (!f) return;
          ["state", "new_use", "new_step", "refresh", "retire_step", "revoke_now"].forEach(function (k) { set("[data-live=" + k + "]", f[k]); });
          Object.keys(f.old_use || {}).forEach(function (k) { set("[data-live-old='" + k + "']", f.old_use[k]); });
          document.querySelectorAll("[data-live-step]").forEach(function (li) {
            var n = +li.getAttribute("data-live-step");
            var done = n === 4 ? f.done : f.stage >= n;
            li.classList.toggle("done", done);
            li.classList.toggle("current", !done && (n === 2 || f.stage >= 2));
          });
          var rf = document.querySelector("[data-live-refresh]");
          if (rf) rf.classList.toggle("done", !!f.refresh_done);
          if (String(f.stage) !== stage) {
            var live = document.getElementById("live");
            if (live) live.textContent = "Rotation: " + f.state;
            // Forms for the old stage no longer apply: show the new one.
            if (f.done) window.location.replace(window.location.pathname);
            stage = String(f.stage);
          }
        }).catch(function () {});
      };
      setInterval(poll, 5000);
    }

    // Forms send once: a second click does not create a second value.
    document.addEventListener("submit", function (e) {
      var form = e.target;
      if (form.getAttribute("data-sending") === "1") { e.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
      setTimeout(function () { form.removeAttribute("data-sending"); }, 4000);
    });
  });
})();
