// The resident survey, enhanced. Without this file everything still works: follow-up
// questions stay visible with an "answer only if ..." note and the server drops answers
// to follow-ups whose condition is false.
//
// Answers in progress are kept in this tab's sessionStorage (never sent anywhere), so that
// switching the language or reloading does not lose them; the thank-you page and closing
// the tab clear them.
//
// The thank-you page also notes in localStorage that this device answered the wave: one
// flag per wave code, no identifier, never sent. The form then warns before a second
// response (a family may share a phone, so it does not block).
(function () {
  "use strict";
  var DRAFT_PREFIX = "survey-draft:";
  var ANSWERED_PREFIX = "survey-answered:";

  function storage() {
    try { return window.sessionStorage; } catch (error) { return null; }  // private mode, blocked
  }

  function deviceStorage() {
    try { return window.localStorage; } catch (error) { return null; }
  }

  var done = document.querySelector("[data-survey-done]");
  if (done && storage()) {
    for (var k = storage().length - 1; k >= 0; k--) {
      var key = storage().key(k);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) storage().removeItem(key);
    }
  }
  if (done && done.getAttribute("data-survey-done") && deviceStorage()) {
    try { deviceStorage().setItem(ANSWERED_PREFIX + done.getAttribute("data-survey-done"), "1"); } catch (error) { /* full */ }
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
    var text = template.replace("{done}", done).replace("{total}", total);
    if (paged) {
      var partTemplate = form.getAttribute("data-part-template") || "{number} / {total}";
      text = partTemplate.replace("{number}", current + 1).replace("{total}", parts.length) + " · " + text;
    }
    progress.querySelector(".progress-text").textContent = text;
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

  // A character counter under each text box that has a limit (the box's maxlength enforces it).
  var countTemplate = form.getAttribute("data-count-template") || "{count} / {limit}";
  var counters = Array.prototype.slice.call(form.querySelectorAll("[data-count-for]"));

  function updateCounters() {
    counters.forEach(function (counter) {
      var box = document.getElementById(counter.getAttribute("data-count-for"));
      if (!box) return;
      var limit = parseInt(box.getAttribute("maxlength"), 10);
      var count = box.value.length;
      counter.textContent = countTemplate.replace("{count}", count).replace("{limit}", limit);
      counter.classList.toggle("near-limit", count >= limit * 0.9);
      counter.hidden = false;
    });
  }

  function answeredBefore() {
    var wave = form.getAttribute("data-wave");
    var store = deviceStorage();
    try { return Boolean(wave && store && store.getItem(ANSWERED_PREFIX + wave)); } catch (error) { return false; }
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function showAnsweredBefore() {
    var shown = answeredBefore();
    Array.prototype.forEach.call(document.querySelectorAll(".answered-before"), function (notice) {
      notice.hidden = !shown;
    });
  }

  function refresh() { applyConditions(); updateProgress(); saveDraft(); }
  form.addEventListener("change", refresh);
  form.addEventListener("input", function () { updateProgress(); updateCounters(); saveDraft(); });
  restoreDraft();
  applyConditions();
  updateProgress();
  updateCounters();
  showAnsweredBefore();

  // One click sends once (the server's one-time token makes a second send harmless anyway).
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    sending = true;
    var button = form.querySelector('button[type="submit"]');
    if (button) button.setAttribute("aria-disabled", "true");
  });
  // Coming back through the browser's history re-enables the button. A page the browser kept
  // whole (the back-forward cache) after it was sent holds the last resident's answers and
  // the token they were stored under: clear both, so that the next person starts blank and
  // their response is not taken for a repeat of the last one.
  window.addEventListener("pageshow", function (event) {
    sending = false;
    if (!event.persisted || !answeredBefore()) return;
    form.reset();
    var token = form.querySelector('input[name="client_id"]');
    if (token) token.value = newClientId();
    if (storage()) storage().removeItem(draftKey);
    refresh();
    updateCounters();
    showAnsweredBefore();
  });

  // One part per screen (the checklist's layout "sections"): Back and Next move between the
  // parts, the answers stay in the one form, and the last part holds the Send button. The
  // resident can switch to the whole form on one page.
  var parts = Array.prototype.slice.call(form.querySelectorAll("section.part"));
  var submitArea = form.querySelector(".submit-area");
  var current = 0;
  var paged = form.getAttribute("data-layout") === "sections" && parts.length > 1;

  function button(label, className, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button " + className;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function showPart(index, focus) {
    current = Math.max(0, Math.min(parts.length - 1, index));
    parts.forEach(function (part, i) { part.hidden = paged && i !== current; });
    if (submitArea) submitArea.hidden = paged && current !== parts.length - 1;
    // The part on screen is kept with the draft, so a reload or a change of language
    // comes back to it.
    if (paged && storage()) {
      try { storage().setItem(draftKey + ":part", String(current)); } catch (error) { /* full */ }
    }
    updateProgress();
    if (paged && focus) {
      var heading = parts[current].querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
      form.scrollIntoView();
    }
  }

  function onePage() {
    paged = false;
    form.classList.remove("paged");
    Array.prototype.forEach.call(form.querySelectorAll(".part-nav"), function (nav) { nav.remove(); });
    showPart(current, false);
    updateProgress();
  }

  if (paged) {
    form.classList.add("paged");
    parts.forEach(function (part, i) {
      var nav = document.createElement("div");
      nav.className = "part-nav";
      if (i > 0) nav.appendChild(button(form.getAttribute("data-back-label"), "back", function () { showPart(i - 1, true); }));
      if (i < parts.length - 1) nav.appendChild(button(form.getAttribute("data-next-label"), "primary next", function () { showPart(i + 1, true); }));
      part.appendChild(nav);
    });
    var all = button(form.getAttribute("data-all-label"), "link-button show-all", onePage);
    var allLine = document.createElement("p");
    allLine.className = "part-nav show-all-line";
    allLine.appendChild(all);
    form.insertBefore(allLine, form.querySelector("section.part"));
  }

  // The part holding an input (for links of the error summary and errors sent back).
  function partOf(element) {
    var part = element && element.closest("section.part");
    return part ? parts.indexOf(part) : -1;
  }

  var firstError = form.querySelector(".question.has-error");
  var keptPart = storage() ? parseInt(storage().getItem(draftKey + ":part") || "0", 10) : 0;
  showPart(firstError ? partOf(firstError) : keptPart || 0, false);

  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
    // A link in the summary moves focus to the answer, with the whole question in view,
    // opening its part first when the form shows one part per screen.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      event.preventDefault();
      if (paged && partOf(input) !== -1) showPart(partOf(input), false);
      var question = input.closest(".question") || input;
      question.scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }
})();
