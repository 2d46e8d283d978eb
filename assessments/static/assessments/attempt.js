// Countdown and autosave for the attempt page. The page works without this
// script: the form's own "save" and "submit" buttons post to the server, and
// the server clock decides the deadline whatever this timer shows.
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) return;
  var timer = document.querySelector("[data-seconds-left]");
  if (timer) {
    var left = parseInt(timer.getAttribute("data-seconds-left"), 10);
    var shown = timer.querySelector("strong");
    var tick = function () {
      left = Math.max(0, left - 1);
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      shown.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left === 0) {
        var submit = form.querySelector("[name=submit]");
        if (submit) submit.click();
        return;
      }
      window.setTimeout(tick, 1000);
    };
    tick();
  }
  // Autosave every 30 s when something changed, through the same save service
  // the "save" button uses (a plain form post, so the CSRF token travels along).
  var dirty = false;
  form.addEventListener("change", function () { dirty = true; });
  window.setInterval(function () {
    if (!dirty) return;
    dirty = false;
    var data = new FormData(form);
    data.append("save", "1");
    data.append("autosave", "1");
    fetch(window.location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      redirect: "manual",
    }).catch(function () { dirty = true; });
  }, 30000);
})();
