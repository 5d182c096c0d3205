// Follows a queued or running scrape run on its admin page: polls Koel's own API for the run
// and updates the progress panel; once the run ends, reloads the page once to show the
// finished run's attempts and errors. Without JavaScript a <noscript> meta refresh does it.
(function () {
  "use strict";
  var panel = document.getElementById("run-progress");
  if (!panel || panel.dataset.live !== "1") return;
  var every = Number(panel.dataset.refresh || 3) * 1000;
  var LIVE = ["queued", "running"];

  function show(run) {
    ["status", "bases_done", "bases_total", "rates_stored", "rates_derived", "rates_quarantined"]
      .forEach(function (name) {
        var field = panel.querySelector('[data-field="' + name + '"]');
        if (field) field.textContent = run[name];
      });
    var attempts = panel.querySelector('[data-field="attempts"]');
    if (attempts) attempts.textContent = run.attempts.length;
    var bar = panel.querySelector("progress");
    if (bar) { bar.max = run.bases_total || 1; bar.value = run.bases_done; }
    var note = panel.querySelector('[data-field="queued-note"]');
    if (note && run.status !== "queued") note.hidden = true;
  }

  function poll() {
    fetch(panel.dataset.url, { cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (run) {
        show(run);
        if (LIVE.indexOf(run.status) === -1) { window.location.reload(); return; }
        window.setTimeout(poll, every);
      })
      .catch(function () { window.setTimeout(poll, every * 2); });
  }
  window.setTimeout(poll, every);
})();
