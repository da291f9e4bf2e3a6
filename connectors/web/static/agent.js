// The agent console's ticket page: new lines of the conversation appear as the user
// writes (every 3 s, HTML rendered and sanitised by the server), and the transcript
// stays scrolled to the newest line unless the agent scrolled up to read.
(function () {
  "use strict";
  var list = document.getElementById("transcript");
  if (!list) return;
  var POLL_MS = 3000;

  function atBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  }

  function scrollDown() { list.scrollTop = list.scrollHeight; }

  function poll() {
    if (!list.dataset.poll || document.hidden) return;
    var url = list.dataset.poll + "?after=" + encodeURIComponent(list.dataset.after || "0");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.html.trim()) return;
        var follow = atBottom();
        list.insertAdjacentHTML("beforeend", data.html);  // server-rendered, escaped
        list.dataset.after = String(data.after);
        if (follow) scrollDown();
      })
      .catch(function () { /* the next round tries again */ });
  }

  scrollDown();
  setInterval(poll, POLL_MS);
})();
