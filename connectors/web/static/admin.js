// The KB editor's live preview: as the author types, the form goes to /admin/preview,
// which answers with the article rendered and sanitised exactly as the KB page renders
// it, and the linter's messages. No inline script (the CSP forbids it), no framework.
(function () {
  "use strict";
  var form = document.getElementById("article-form");
  if (!form) return;
  var body = document.getElementById("preview-body");
  var title = document.getElementById("preview-title");
  var problems = document.getElementById("preview-problems");
  var timer = null;
  var sent = 0;

  function show(data) {
    title.textContent = data.title || "";
    // The server sanitised this HTML with an allow-list (connectors/web/render.py).
    body.innerHTML = data.html;
    problems.textContent = "";
    (data.problems || []).forEach(function (p) {
      var item = document.createElement("li");
      item.className = p.severity;
      item.textContent = (p.where || "line " + p.line) + ": " + p.severity + ": " + p.message;
      problems.appendChild(item);
    });
    form.dataset.previewed = String(sent);
  }

  function refresh() {
    var number = ++sent;
    var data = new FormData(form);
    fetch(form.dataset.preview, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": data.get("csrf_token") }
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) { if (json && number === sent) show(json); })
      .catch(function () { /* the next keystroke tries again */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
})();
