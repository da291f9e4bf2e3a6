/*
 * Tier0 chat widget: one <script src="https://tier0.example.com/widget.js" async> tag
 * adds a launcher and a chat panel to any page. No framework, no build step.
 *
 * Attributes on the script tag (all optional):
 *   data-title="Help"            panel title
 *   data-greeting="Hi! ..."      first message, shown before the user writes
 *   data-color="#1d3557"         accent colour (#rgb or #rrggbb)
 *   data-position="right|left"   corner of the launcher
 *   data-api="https://..."       Tier0's base URL (default: where this script came from)
 *
 * Everything the bot or an agent says is rendered with DOM text nodes, never as HTML:
 * a message cannot inject markup or script. The conversation id is kept in
 * localStorage, so the conversation survives reloads and navigation; new messages
 * (agent replies, ticket updates) arrive by polling the HTTP API v1.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__tier0Widget) { return; }
  window.__tier0Widget = true;

  var data = script.dataset;
  var base = (data.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var storageKey = "tier0:" + base + ":conversation";
  var title = data.title || "Help";
  var greeting = data.greeting || "Hi! Ask me anything about our product, or type \u201ctalk to a human\u201d.";
  var color = /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(data.color || "") ? data.color : "#1d3557";
  var side = data.position === "left" ? "left" : "right";
  var POLL_MS = 3000;

  var state = { id: null, lastSeq: 0, busy: false, timer: null, open: false };

  // ---- DOM -------------------------------------------------------------------
  var host = document.createElement("div");
  host.className = "tier0-widget-host";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var sheet = document.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = base + "/widget.css";
  root.appendChild(sheet);

  var frame = el("div", "tier0 tier0-" + side);
  frame.style.setProperty("--tier0-accent", color);

  var launcher = el("button", "tier0-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-label", "Open chat: " + title);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "tier0-panel");
  launcher.appendChild(el("span", "tier0-launcher-icon", "\u2753"));
  launcher.appendChild(el("span", "tier0-launcher-label", title));

  var panel = el("section", "tier0-panel");
  panel.id = "tier0-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);

  var header = el("header", "tier0-header");
  header.appendChild(el("h2", "tier0-title", title));
  var human = el("button", "tier0-human", "Talk to a human");
  human.type = "button";
  var close = el("button", "tier0-close", "\u00d7");
  close.type = "button";
  close.setAttribute("aria-label", "Close chat");
  header.appendChild(human);
  header.appendChild(close);

  var log = el("div", "tier0-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "Conversation");
  log.tabIndex = 0;

  var form = el("form", "tier0-form");
  var input = el("input", "tier0-input");
  input.type = "text";
  input.maxLength = 4000;
  input.autocomplete = "off";
  input.setAttribute("aria-label", "Your message");
  input.placeholder = "Type your question\u2026";
  var send = el("button", "tier0-send", "Send");
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);

  var status = el("p", "tier0-status");
  status.setAttribute("role", "status");

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  frame.appendChild(panel);
  frame.appendChild(launcher);
  root.appendChild(frame);

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // ---- safe Markdown: paragraphs, lists, code, **bold**, `code`, [links](https://) --
  function inline(parent, text) {
    var pattern = /(\*\*[^*]+\*\*|`[^`]+`|\[[^\]]+\]\([^)\s]+\))/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) { parent.appendChild(document.createTextNode(text.slice(last, match.index))); }
      var token = match[0];
      if (token.indexOf("**") === 0) {
        parent.appendChild(el("strong", null, token.slice(2, -2)));
      } else if (token.charAt(0) === "`") {
        parent.appendChild(el("code", null, token.slice(1, -1)));
      } else {
        var label = token.slice(1, token.indexOf("]("));
        var href = token.slice(token.indexOf("](") + 2, -1);
        var url = safeUrl(href);
        if (url) {
          var link = el("a", null, label);
          link.href = url;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          parent.appendChild(link);
        } else {
          parent.appendChild(document.createTextNode(label));
        }
      }
      last = match.index + token.length;
    }
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
  }

  function safeUrl(href) {
    try {
      var url = new URL(href, base + "/");
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function markdown(text) {
    var box = el("div", "tier0-text");
    var paragraph = [];
    var list = null;
    var code = null;
    function flush() {
      if (paragraph.length) {
        var p = el("p");
        inline(p, paragraph.join(" "));
        box.appendChild(p);
        paragraph = [];
      }
      list = null;
    }
    function fence() {
      var pre = el("pre");
      pre.appendChild(el("code", null, code.join("\n")));
      box.appendChild(pre);
      code = null;
    }
    String(text).split("\n").forEach(function (line) {
      if (/^\s*```/.test(line)) {
        if (code === null) { flush(); code = []; } else { fence(); }
        return;
      }
      if (code !== null) { code.push(line); return; }
      var item = /^\s*[-*] (.*)$/.exec(line);
      if (item) {
        if (paragraph.length) { flush(); }
        if (!list) { list = el("ul"); box.appendChild(list); }
        var li = el("li");
        inline(li, item[1]);
        list.appendChild(li);
        return;
      }
      if (!line.trim()) { flush(); return; }
      list = null;
      paragraph.push(line.trim());
    });
    if (code !== null) { fence(); }
    flush();
    return box;
  }

  // ---- rendering of one message ------------------------------------------------
  function render(message) {
    var row = el("div", "tier0-msg tier0-" + (message.sender === "user" ? "user" : "bot"));
    row.dataset.type = message.type || "text";
    if (message.sender === "user") {
      row.appendChild(el("p", "tier0-text", message.text));
    } else if (message.type === "article") {
      var card = el("article", "tier0-card");
      var heading = el("h3", "tier0-card-title");
      var url = safeUrl(message.url || "");
      if (url) {
        var link = el("a", null, message.title || "Article");
        link.href = url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        heading.appendChild(link);
      } else {
        heading.textContent = message.title || "Article";
      }
      card.appendChild(heading);
      card.appendChild(el("p", "tier0-card-text", message.text));
      row.appendChild(card);
    } else if (message.type === "ticket" && typeof message.agent === "string") {
      // A support agent's own words: shown as a person speaking, with their name.
      row.className = "tier0-msg tier0-bot tier0-agent";
      var said = el("div", "tier0-ticket");
      said.appendChild(el("span", "tier0-agent-name",
        (message.agent || "Support agent") + " \u00b7 support \u00b7 ticket #" + message.ticket_id));
      said.appendChild(markdown(message.reply || message.text));
      row.appendChild(said);
    } else if (message.type === "ticket") {
      var ticket = el("div", "tier0-ticket");
      ticket.appendChild(el("span", "tier0-ticket-ref", "Ticket #" + message.ticket_id + " \u00b7 " + message.status));
      ticket.appendChild(markdown(message.text));
      row.appendChild(ticket);
    } else {
      row.appendChild(markdown(message.text));
      if (message.type === "choices" && Array.isArray(message.choices)) {
        var group = el("div", "tier0-choices");
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", message.text);
        message.choices.forEach(function (choice) {
          var button = el("button", "tier0-choice", choice.label);
          button.type = "button";
          button.dataset.choice = choice.id;
          button.addEventListener("click", function () {
            Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
            button.classList.add("tier0-picked");
            // The clicked button is disabled now: keep the keyboard in the chat.
            post({ choice: choice.id }).then(function () { input.focus(); });
          });
          group.appendChild(button);
        });
        row.appendChild(group);
      }
    }
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  // ---- talking to the API --------------------------------------------------------
  function api(method, path, body) {
    return fetch(base + "/api/v1" + path, {
      method: method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var error = new Error((json.error && json.error.message) || ("HTTP " + response.status));
          error.status = response.status;
          throw error;
        }
        return json;
      });
    });
  }

  function zone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined; } catch (e) { return undefined; }
  }

  function ensureConversation() {
    if (state.id) { return Promise.resolve(state.id); }
    var body = { channel: "widget" };
    if (zone()) { body.timezone = zone(); }
    return api("POST", "/conversations", body).then(function (created) {
      state.id = created.id;
      try { localStorage.setItem(storageKey, created.id); } catch (e) { /* private mode */ }
      return created.id;
    });
  }

  function poll() {
    if (!state.id) { return Promise.resolve(); }
    return api("GET", "/conversations/" + encodeURIComponent(state.id) + "?after=" + state.lastSeq)
      .then(function (view) {
        (view.messages || []).forEach(function (message) {
          if (message.seq > state.lastSeq) {
            state.lastSeq = message.seq;
            render(message);
          }
        });
        status.textContent = "";
      })
      .catch(function (error) {
        if (error.status === 404) { forget(); }
      });
  }

  function forget() {
    state.id = null;
    state.lastSeq = 0;
    try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
  }

  function post(message) {
    if (state.busy) { return Promise.resolve(); }
    state.busy = true;
    send.disabled = true;
    status.textContent = "\u2026";
    return ensureConversation()
      .then(function (id) { return api("POST", "/conversations/" + encodeURIComponent(id) + "/messages", message); })
      .then(poll)
      .catch(function (error) {
        status.textContent = "Sorry, that did not go through: " + error.message;
      })
      .then(function () {
        state.busy = false;
        send.disabled = false;
      });
  }

  // ---- opening, closing, keyboard --------------------------------------------
  function openPanel() {
    state.open = true;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    frame.classList.add("tier0-open");
    input.focus();
    if (!state.timer) { state.timer = setInterval(poll, POLL_MS); }
  }

  function closePanel() {
    state.open = false;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    frame.classList.remove("tier0-open");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { (state.open ? closePanel : openPanel)(); });
  close.addEventListener("click", closePanel);
  human.addEventListener("click", function () { post({ text: "I want to talk to a human" }); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closePanel(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    post({ text: text });
  });

  // ---- start ---------------------------------------------------------------------
  render({ sender: "bot", type: "text", text: greeting });
  try { state.id = localStorage.getItem(storageKey); } catch (e) { state.id = null; }
  if (state.id) {
    poll().then(function () {
      if (state.id && !state.timer) { state.timer = setInterval(poll, POLL_MS); }
    });
  }
  document.body.appendChild(host);
})();
