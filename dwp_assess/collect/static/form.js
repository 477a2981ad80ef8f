// The questionnaire form's script (dwp_assess/collect/page.py, web.py).
// Shows one part at a time, keeps the draft on every change, asks the server to check a
// part and to store the answers; every text it shows comes from the server or the page.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("dwp-config").textContent);
  var app = document.querySelector(".dwp-app");
  var message = document.querySelector(".dwp-app > .dwp-message");
  var parts = Array.prototype.slice.call(document.querySelectorAll(".dwp-page"));
  var page = config.page || 0;
  var sent = !!config.sent;

  function post(path, body) {
    body.query = config.query;
    body.draft = config.draft;
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body),
    }).then(function (reply) {
      if (!reply.ok) { throw new Error(String(reply.status)); }
      return reply.json();
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

  // Drafts: one save at a time; a change during a save is saved right after it.
  var saving = false, again = false;
  function saveDraft() {
    if (sent) { return; }
    if (saving) { again = true; return; }
    saving = true;
    post("api/draft", {state: state()}).catch(function () {}).then(function () {
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
    saveDraft();
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
        // a new browser key and a fresh form; replacing the history entry, so Back does
        // not return to this respondent's result
        window.location.replace("new?" + config.query);
      });
    }
  }

  function keepAddress() {
    var url = new URL(window.location.href);
    url.searchParams.set("draft", config.draft);
    window.history.replaceState(null, "", url.toString());
  }

  if (!sent) {
    var select = document.querySelector(".dwp-team select");
    if (select && select.hasAttribute("data-empty")) { select.selectedIndex = -1; }
    document.querySelector(".dwp-body").addEventListener("change", saveDraft);
    document.querySelector(".dwp-next").addEventListener("click", next);
    document.querySelector(".dwp-previous").addEventListener("click", previous);
    document.querySelector(".dwp-submit").addEventListener("click", submit);
    var last = page === parts.length - 1;
    document.querySelector(".dwp-previous").disabled = page === 0;
    document.querySelector(".dwp-next").hidden = last;
    document.querySelector(".dwp-submit").hidden = !last;
  } else {
    bindNewRespondent();
  }
  keepAddress();
  document.querySelector(".dwp-loading").hidden = true;
  app.hidden = false;
  if (window.performance && performance.mark) { performance.mark("dwp-ready"); }  // benchmarks
})();
