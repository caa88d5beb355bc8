// report-errors.js: the page's first script. Keeps every script error (window.reportErrors) for the self-test of
// report.js; with ?selftest=1, if report.js has not started its self-test a second after the page loaded (it failed
// before it got there), writes the errors into <pre id="selftest"> itself, so the browser test reads why.
window.reportErrors = [];
window.onerror = function (message, source, line) {
  window.reportErrors.push(message + " (line " + line + ")");
};
window.addEventListener("load", function () {
  if (new URLSearchParams(location.search).get("selftest") !== "1") return;
  setTimeout(function () {
    if (window.reportSelfTestStarted) return;
    var pre = document.createElement("pre");
    pre.id = "selftest";
    pre.textContent = "FAIL\nreport.js did not start its self-test\n" + window.reportErrors.join("\n");
    document.body.appendChild(pre);
  }, 1000);
});
