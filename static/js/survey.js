// The resident survey, enhanced. Without this file everything still works: follow-up
// questions stay visible with an "answer only if ..." note and the server drops answers
// to follow-ups whose condition is false.
//
// Answers in progress are kept in this tab's sessionStorage (never sent anywhere), so that
// switching the language or reloading does not lose them; the thank-you page and closing
// the tab clear them.
(function () {
  "use strict";
  var DRAFT_PREFIX = "survey-draft:";

  function storage() {
    try { return window.sessionStorage; } catch (error) { return null; }  // private mode, blocked
  }

  if (document.querySelector("[data-survey-done]") && storage()) {
    for (var k = storage().length - 1; k >= 0; k--) {
      var key = storage().key(k);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) storage().removeItem(key);
    }
  }

  var form = document.querySelector(".survey-form");
  if (!form) return;
  document.documentElement.classList.add("js");

  var conditionals = Array.prototype.slice.call(form.querySelectorAll("[data-show-if]"));

  function chosenValues(name) {
    var values = [];
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.disabled) continue;
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) continue;
      if (input.value.trim() !== "") values.push(input.value.trim());
    }
    return values;
  }

  // Show a follow-up only while its condition holds; a hidden one is disabled, so it is
  // not sent and not counted. Runs in document order, so chains of follow-ups work.
  function applyConditions() {
    conditionals.forEach(function (question) {
      var wanted = question.getAttribute("data-show-if-values").split(" ");
      var shown = chosenValues(question.getAttribute("data-show-if")).some(function (value) {
        return wanted.indexOf(value) !== -1;
      });
      question.hidden = !shown;
      var controls = question.querySelectorAll("input, select, textarea");
      for (var i = 0; i < controls.length; i++) controls[i].disabled = !shown;
      var note = question.querySelector(".condition");
      if (note) note.hidden = true;  // the question appears exactly when it applies
    });
  }

  var progress = document.getElementById("survey-progress");
  var template = form.getAttribute("data-progress-template") || "{done} / {total}";

  function updateProgress() {
    if (!progress) return;
    var questions = form.querySelectorAll(".question");
    var total = 0, done = 0;
    for (var i = 0; i < questions.length; i++) {
      var question = questions[i];
      if (question.hidden) continue;
      total += 1;
      var answered = false;
      var controls = question.querySelectorAll("input, textarea");
      for (var j = 0; j < controls.length; j++) {
        var c = controls[j];
        if ((c.type === "radio" || c.type === "checkbox") ? c.checked : c.value.trim() !== "") { answered = true; break; }
      }
      if (answered) done += 1;
    }
    progress.hidden = false;
    progress.querySelector(".progress-text").textContent =
      template.replace("{done}", done).replace("{total}", total);
    progress.querySelector(".progress-bar span").style.width = (total ? Math.round(100 * done / total) : 0) + "%";
  }

  var draftKey = DRAFT_PREFIX + window.location.pathname;
  var NOT_ANSWERS = { csrfmiddlewaretoken: 1, client_id: 1, version: 1, homepage: 1 };

  function isAnswer(el) {
    if (!el.name || NOT_ANSWERS[el.name] || el.disabled || el.type === "submit") return false;
    if (el.type === "radio" || el.type === "checkbox") return el.checked;
    return el.value.trim() !== "";
  }

  function saveDraft() {
    var store = storage();
    if (!store) return;
    var answers = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (isAnswer(el)) (answers[el.name] = answers[el.name] || []).push(el.value);
    });
    try { store.setItem(draftKey, JSON.stringify(answers)); } catch (error) { /* quota: no draft */ }
  }

  function restoreDraft() {
    var store = storage();
    // A form the server sent back (with errors) already holds the resident's answers.
    if (!store || Array.prototype.some.call(form.elements, isAnswer)) return;
    var answers;
    try { answers = JSON.parse(store.getItem(draftKey) || "null"); } catch (error) { answers = null; }
    if (!answers) return;
    Array.prototype.forEach.call(form.elements, function (el) {
      var values = el.name && !NOT_ANSWERS[el.name] ? answers[el.name] : null;
      if (!values) return;
      if (el.type === "radio" || el.type === "checkbox") el.checked = values.indexOf(el.value) !== -1;
      else if (el.type === "text" || el.type === "textarea") el.value = values[0];
    });
  }

  function refresh() { applyConditions(); updateProgress(); saveDraft(); }
  form.addEventListener("change", refresh);
  form.addEventListener("input", function () { updateProgress(); saveDraft(); });
  restoreDraft();
  applyConditions();
  updateProgress();

  // One click sends once (the server's one-time token makes a second send harmless anyway).
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    sending = true;
    var button = form.querySelector('button[type="submit"]');
    if (button) button.setAttribute("aria-disabled", "true");
  });
  // Coming back through the browser's history re-enables the button.
  window.addEventListener("pageshow", function () { sending = false; });

  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
    // A link in the summary moves focus to the answer, with the whole question in view.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      event.preventDefault();
      var question = input.closest(".question") || input;
      question.scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }
})();
