// The questionnaire form's script (dwp_assess/collect/page.py, web.py).
// Shows one part at a time, asks the server to check a part (which keeps the draft) and to
// store the answers; every text it shows comes from the server or the page. Between the
// server's saves (leaving a part, every SAVE_DELAY after a change, closing the page) the
// browser keeps the answers in localStorage, so a reload loses nothing and the server is
// not asked to write a draft for every click.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("dwp-config").textContent);
  var app = document.querySelector(".dwp-app");
  var message = document.querySelector(".dwp-app > .dwp-message");
  var parts = Array.prototype.slice.call(document.querySelectorAll(".dwp-page"));
  var page = config.page || 0;
  var sent = !!config.sent;
  var PREFIX = "dwp-draft-", SAVE_DELAY = 30000, KEEP_DAYS = 30;

  function post(path, body, keepalive, rebound) {
    body.query = config.query;
    body.draft = config.draft;
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body),
    }).then(function (reply) {
      var kind = reply.headers.get("Content-Type") || "";
      if (kind.indexOf("application/json") !== 0) { throw new Error(String(reply.status)); }
      return reply.json();
    }).then(function (reply) {
      // the draft id is not this browser's (its key changed): carry on under a new one
      if (reply.rebind && !rebound) { rebind(reply.rebind); return post(path, body, keepalive, true); }
      return reply;
    });
  }

  function state() {
    var answers = {}, texts = {}, role = null, team = null;
    document.querySelectorAll(".dwp-page input[type=radio]:checked").forEach(function (box) {
      if (box.name === "role") { role = box.value; }
      else { answers[box.name.slice(5)] = box.value; }  // "item:<id>"
    });
    document.querySelectorAll(".dwp-page textarea").forEach(function (box) {
      if (box.value) { texts[box.name.slice(5)] = box.value; }  // "text:<id>"
    });
    var select = document.querySelector(".dwp-team select");
    if (select && select.selectedIndex >= 0) { team = select.value; }
    return {answers: answers, role: role, team: team, texts: texts, page: page};
  }

  // -- the browser's copy ---------------------------------------------------------------
  function local(action, key, value) {
    try {
      if (action === "get") { return JSON.parse(localStorage.getItem(key) || "null"); }
      if (action === "set") { localStorage.setItem(key, JSON.stringify(value)); }
      if (action === "remove") { localStorage.removeItem(key); }
    } catch (e) {}  // private windows, full or blocked storage: the server's drafts remain
    return null;
  }

  function forgetOld(all) {
    var cutoff = Date.now() - KEEP_DAYS * 86400000;
    try {
      Object.keys(localStorage).forEach(function (key) {
        if (key.indexOf(PREFIX) !== 0) { return; }
        var entry = local("get", key);
        if (all || !entry || entry.at < cutoff) { localStorage.removeItem(key); }
      });
    } catch (e) {}
  }

  function restore(saved) {
    Object.keys(saved.answers || {}).forEach(function (id) {
      var box = document.querySelector('.dwp-page input[name="item:' + CSS.escape(id) + '"][value="' + CSS.escape(saved.answers[id]) + '"]');
      if (box) { box.checked = true; }
    });
    if (saved.role) {
      var role = document.querySelector('.dwp-page input[name="role"][value="' + CSS.escape(saved.role) + '"]');
      if (role) { role.checked = true; }
    }
    var select = document.querySelector(".dwp-team select");
    if (select && saved.team) { select.value = saved.team; select.removeAttribute("data-empty"); }
    Object.keys(saved.texts || {}).forEach(function (id) {
      var box = document.querySelector('.dwp-page textarea[name="text:' + CSS.escape(id) + '"]');
      if (box) { box.value = saved.texts[id]; }
    });
    if (typeof saved.page === "number" && saved.page >= 0 && saved.page < parts.length) { page = saved.page; }
  }

  function rebind(id) {
    var kept = local("get", PREFIX + config.draft);
    local("remove", PREFIX + config.draft);
    config.draft = id;
    if (kept) { local("set", PREFIX + id, kept); }
    keepAddress();
  }

  // -- the server's draft: one save at a time; a change during a save is saved after it --
  var saving = false, again = false, dirty = false, timer = null;
  function remember() {
    if (sent) { return; }
    local("set", PREFIX + config.draft, {state: state(), at: Date.now()});
    dirty = true;
    if (!timer) { timer = setTimeout(function () { timer = null; saveDraft(); }, SAVE_DELAY); }
  }

  function saveDraft(keepalive) {
    if (sent || !dirty) { return; }
    if (saving && !keepalive) { again = true; return; }
    saving = true;
    dirty = false;
    post("api/draft", {state: state()}, keepalive).catch(function () { dirty = true; }).then(function () {
      saving = false;
      if (again) { again = false; saveDraft(); }
    });
  }

  function showPage(index) {
    page = index;
    var last = index === parts.length - 1;
    document.querySelector(".dwp-progress progress").value = index + 1;
    document.querySelector(".dwp-progress-text").textContent =
      config.progress.replace("{n}", String(index + 1));
    document.querySelector(".dwp-previous").disabled = index === 0;
    document.querySelector(".dwp-next").hidden = last;
    document.querySelector(".dwp-submit").hidden = !last;
    remember();
    parts.forEach(function (part, n) { part.hidden = n !== index; });
    window.scrollTo(0, 0);
  }

  function say(text) { message.textContent = text || ""; }

  function next() {
    var button = document.querySelector(".dwp-next");
    button.disabled = true;
    post("api/check", {state: state(), part: page}).then(function (reply) {
      button.disabled = false;
      say(reply.problem);
      if (reply.kept) { dirty = false; }
      if (!reply.problem) { showPage(Math.min(page + 1, parts.length - 1)); }
    }, function () { button.disabled = false; say(config.failed); });
  }

  function previous() {
    say("");
    showPage(Math.max(page - 1, 0));
  }

  function submit() {
    var button = document.querySelector(".dwp-submit");
    if (button.disabled || sent) { return; }
    button.disabled = true;
    say(config.saving);
    post("api/submit", {state: state()}).then(function (reply) {
      if (reply.result) { return done(reply.result); }
      say(reply.problem || reply.error);
      button.disabled = !!reply.final;
    }, function () { button.disabled = false; say(config.failed); });
  }

  function done(result) {
    sent = true;
    local("remove", PREFIX + config.draft);
    say("");
    ["dwp-progress", "dwp-body", "dwp-nav"].forEach(function (name) {
      document.querySelector("." + name).hidden = true;
    });
    var box = document.createElement("div");
    box.innerHTML = result;  // the server's HTML: every text in it is escaped
    app.appendChild(box);
    bindNewRespondent();
  }

  function bindNewRespondent() {
    var again = document.querySelector(".dwp-new-respondent");
    if (again) {
      again.addEventListener("click", function () {
        // a new browser key (by POST: only this page can ask for it) and a fresh form,
        // replacing the history entry, so Back does not return to this respondent's result;
        // nothing of this respondent stays in the browser
        again.disabled = true;
        post("api/new", {}).then(function () {
          forgetOld(true);
          window.location.replace("./?" + config.query);
        }, function () { again.disabled = false; say(config.failed); });
      });
    }
  }

  function keepAddress() {
    var url = new URL(window.location.href);
    url.searchParams.set("draft", config.draft);
    window.history.replaceState(null, "", url.toString());
  }

  forgetOld(false);
  if (!sent) {
    var select = document.querySelector(".dwp-team select");
    if (select && select.hasAttribute("data-empty")) { select.selectedIndex = -1; }
    var saved = local("get", PREFIX + config.draft);
    if (saved && saved.state) { restore(saved.state); }
    parts.forEach(function (part, n) { part.hidden = n !== page; });
    document.querySelector(".dwp-progress progress").value = page + 1;
    document.querySelector(".dwp-progress-text").textContent = config.progress.replace("{n}", String(page + 1));
    document.querySelector(".dwp-body").addEventListener("change", remember);
    document.querySelector(".dwp-body").addEventListener("input", remember);
    window.addEventListener("pagehide", function () { saveDraft(true); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { saveDraft(true); }
    });
    document.querySelector(".dwp-next").addEventListener("click", next);
    document.querySelector(".dwp-previous").addEventListener("click", previous);
    document.querySelector(".dwp-submit").addEventListener("click", submit);
    var last = page === parts.length - 1;
    document.querySelector(".dwp-previous").disabled = page === 0;
    document.querySelector(".dwp-next").hidden = last;
    document.querySelector(".dwp-submit").hidden = !last;
  } else {
    local("remove", PREFIX + config.draft);
    bindNewRespondent();
  }
  keepAddress();
  document.querySelector(".dwp-loading").hidden = true;
  app.hidden = false;
  if (window.performance && performance.mark) { performance.mark("dwp-ready"); }  // benchmarks
})();
