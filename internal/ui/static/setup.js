// Keywarden first-run setup: the setup link carries its one-time token in
// the URL's fragment (#kwi_…), which the browser never sends to a server
// or a proxy. Move it into the form, and out of the address bar and the
// history. Without JavaScript the code is typed into the field instead.
(function () {
  "use strict";
  function take() {
    var token = decodeURIComponent((window.location.hash || "").slice(1));
    var input = document.getElementById("token");
    if (token.indexOf("kwi_") !== 0 || !input) return;
    if (window.history && history.replaceState) {
      history.replaceState(null, "", window.location.pathname);
    }
    input.value = token;
    document.getElementById("token-field").hidden = true;
    document.getElementById("token-from-link").hidden = false;
  }
  // A link opened on the page already is a fragment change, not a load.
  window.addEventListener("hashchange", take);
  if (document.readyState !== "loading") take();
  else document.addEventListener("DOMContentLoaded", take);
})();
