/* Runs inside the sandboxed player frame (no session, no cookies).
 * Starts h5p-standalone with the configuration the server rendered. H5P core
 * saves and restores the trainee's state itself (ajax.contentUserDataUrl, signed
 * with the frame's token); every xAPI statement is forwarded to the parent page,
 * which alone holds the session and posts them, CSRF-checked, to the server. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("h5p-config").textContent);
  var parentOrigin = config.parentOrigin;

  function send(message) {
    window.parent.postMessage(message, parentOrigin);
  }

  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  var options = {
    id: config.contentId,
    h5pJsonPath: config.h5pJsonPath,
    contentJsonPath: config.contentJsonPath,
    librariesPath: config.librariesPath,
    frameJs: config.frameJs,
    frameCss: config.frameCss,
    frame: false,
    copyright: false,
    export: false,
    embed: false,
    icon: false,
    fullScreen: false,
    xAPIObjectIRI: config.objectIri,
    user: { name: config.userName, mail: config.userMail },
    saveFreq: config.saveFreq,
    contentUserData: config.contentUserData,
    ajax: { contentUserDataUrl: config.stateUrl }
  };

  var container = document.getElementById("h5p-container");
  new window.H5PStandalone.H5P(container, options).then(function () {
    window.H5P.externalDispatcher.on("xAPI", function (event) {
      var statement = JSON.parse(JSON.stringify(event.data.statement));
      statement.id = statement.id || uuid4();
      send({ type: "h5p-xapi", statement: statement });
    });
    // The parent cannot see into this frame (another origin): tell it our height.
    var lastHeight = 0;
    var report = function () {
      var height = document.documentElement.scrollHeight;
      if (height !== lastHeight) {
        lastHeight = height;
        send({ type: "h5p-resize", height: height });
      }
    };
    if (window.ResizeObserver) { new ResizeObserver(report).observe(document.body); }
    window.setInterval(report, 1000);
    send({ type: "h5p-ready" });
  });
})();
