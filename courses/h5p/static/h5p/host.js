/* Runs in the page that embeds the player frame (it holds the session).
 * Receives statements and state from the frame, keeps unsent ones in
 * localStorage so a weak connection loses nothing, and posts them with the
 * CSRF token. Messages from any other window or origin are ignored. */
(function () {
  "use strict";
  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  document.querySelectorAll("iframe[data-h5p-player]").forEach(function (frame) {
    var xapiUrl = frame.dataset.xapiUrl;
    var playerOrigin = frame.dataset.playerOrigin;
    var queueKey = "h5p-queue:" + xapiUrl;
    var sending = false;
    // H5P often emits several statements at once (a question's "answered" and
    // its set's "completed"). Waiting a moment sends such a burst as one
    // request, and the server's per-request cost (session and user lookups) is
    // paid once for all of them. Each statement is in localStorage before the
    // wait, so closing the page meanwhile loses nothing: it goes next time.
    var BURST_MS = 250;
    var burst = null;
    function flushSoon() {
      if (burst !== null) { return; }
      burst = window.setTimeout(function () { burst = null; flush(); }, BURST_MS);
    }

    function queue() {
      try { return JSON.parse(window.localStorage.getItem(queueKey) || "[]"); }
      catch (e) { return []; }
    }
    function save(items) { window.localStorage.setItem(queueKey, JSON.stringify(items)); }

    function flush() {
      var items = queue();
      if (sending || !items.length) { return; }
      sending = true;
      fetch(xapiUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(items)
      }).then(function (response) {
        if (response.ok || response.status === 400) {
          // Stored, or refused for good: either way never send these again.
          var sent = items.map(function (s) { return s.id; });
          save(queue().filter(function (s) { return sent.indexOf(s.id) < 0; }));
          return response.json().then(function (body) {
            frame.dispatchEvent(new CustomEvent("h5p:stored", { detail: body }));
          });
        }
      }).catch(function () { /* offline: retried below */ }).then(function () {
        sending = false;
        if (queue().length) { window.setTimeout(flush, 3000); }
      });
    }

    window.addEventListener("message", function (event) {
      if (event.source !== frame.contentWindow) { return; }
      if (playerOrigin !== "*" && event.origin !== playerOrigin) { return; }
      var message = event.data || {};
      if (message.type === "h5p-xapi" && message.statement) {
        var items = queue();
        items.push(message.statement);
        save(items);
        flushSoon();
      } else if (message.type === "h5p-resize" && message.height > 0) {
        frame.style.height = Math.min(message.height, 20000) + "px";
      } else if (message.type === "h5p-ready") {
        frame.dataset.ready = "1";
        flush();
      }
    });
    flush();
  });
})();
