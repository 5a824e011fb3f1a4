/* Keyboard-only keying of paper sheets. Everything here is a convenience: the server
   checks every value again, and the forms work without JavaScript. */
(function () {
  "use strict";

  // ISO/IEC 7064 MOD 37-2, as surveys/serials.py computes it.
  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";
  var RU = "ЙЦУКЕНГШЩЗФЫВАПРОЛДЯЧСМИТЬ", EN = "QWERTYUIOPASDFGHJKLZXCVBNM";
  var SERIAL = /^([A-Z0-9][A-Z0-9_-]*-\d{6})-([0-9A-Z*])$/;

  function checkCharacter(body) {
    var total = 0;
    for (var i = 0; i < body.length; i++) {
      var value = ALPHABET.indexOf(body[i]);
      if (value < 0 || body[i] === "*") continue;
      total = ((total + value) * 2) % 37;
    }
    return ALPHABET[(38 - total) % 37];
  }

  function normalise(text) {
    var out = "";
    text = text.replace(/\s+/g, "").toUpperCase();
    for (var i = 0; i < text.length; i++) {
      var at = RU.indexOf(text[i]);
      out += at >= 0 ? EN[at] : text[i];
    }
    return out;
  }

  function serialProblem(serial) {
    var match = SERIAL.exec(serial);
    if (!match) return "malformed";
    return checkCharacter(match[1]) === match[2] ? null : "check";
  }

  var serialForm = document.querySelector(".serial-form");
  if (serialForm) {
    var input = serialForm.querySelector("input[name=serial]");
    var error = document.getElementById("serial-error");
    serialForm.addEventListener("submit", function (event) {
      var serial = normalise(input.value);
      var problem = serialProblem(serial);
      if (problem) {
        event.preventDefault();
        error.textContent = problem === "check" ? serialForm.dataset.msgCheck : serialForm.dataset.msgMalformed;
        input.setAttribute("aria-invalid", "true");
        input.select();
      } else {
        input.value = serial;
      }
    });
    input.addEventListener("input", function () {
      error.textContent = "";
      input.removeAttribute("aria-invalid");
    });
  }

  // Enter moves to the next answer (Shift+Enter to the previous); on the last, it submits.
  var form = document.querySelector(".entry-form, .reconcile-form");
  if (!form) return;
  var fields = Array.prototype.slice.call(form.querySelectorAll("input.keyed"));

  function valueOk(field) {
    var allowed = field.dataset.values;
    var text = field.value.trim();
    if (!allowed || text === "") return true;
    var values = allowed.split(" ");
    var parts = field.dataset.kind === "multiple" ? text.split(/[\s,;]+/) : [text];
    return parts.every(function (part) { return values.indexOf(part) >= 0; });
  }

  function answerOf(code) {
    var field = form.querySelector("input.keyed[name='" + code + "']");
    return field ? field.value.trim().split(/[\s,;]+/) : [];
  }

  function refreshApplicability() {
    fields.forEach(function (field) {
      var source = field.dataset.showIfItem;
      if (!source) return;
      var wanted = field.dataset.showIfValues.split(" ");
      var applies = answerOf(source).some(function (value) { return wanted.indexOf(value) >= 0; });
      var row = field.closest(".keyed-item, tr");
      if (!row) return;
      row.classList.toggle("does-not-apply", !applies);
      var hint = row.querySelector(".not-applicable-hint");
      if (hint) hint.hidden = applies;
    });
  }

  fields.forEach(function (field, index) {
    field.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var next = fields[index + (event.shiftKey ? -1 : 1)];
      if (next) {
        next.focus();
        next.select();
      } else if (!event.shiftKey) {
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    });
    field.addEventListener("input", function () {
      var ok = valueOk(field);
      field.classList.toggle("invalid", !ok);
      if (ok) field.removeAttribute("aria-invalid"); else field.setAttribute("aria-invalid", "true");
      var pick = form.querySelector("input[type=radio][name='pick-" + field.name + "'][value=typed]");
      if (pick && field.value.trim() !== "") pick.checked = true;
      refreshApplicability();
    });
  });
  refreshApplicability();

  // Reconciliation: taking entry 1 or 2 puts its value in the value box (what is committed);
  // "as typed" leaves the box to the coordinator. Alt+N goes to the next difference.
  Array.prototype.forEach.call(form.querySelectorAll("fieldset.pick"), function (pick) {
    pick.addEventListener("change", function (event) {
      var box = document.getElementById(pick.dataset.for);
      if (!box || event.target.type !== "radio") return;
      if (event.target.value === "first") box.value = pick.dataset.first;
      else if (event.target.value === "second") box.value = pick.dataset.second;
      else { box.focus(); box.select(); }
      refreshApplicability();
    });
  });
  var differing = Array.prototype.slice.call(document.querySelectorAll("tr.differs"));
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.code !== "KeyN" || !differing.length) return;
    event.preventDefault();
    var here = document.activeElement && document.activeElement.closest("tr.differs");
    var next = differing[(differing.indexOf(here) + 1) % differing.length];
    next.scrollIntoView({ block: "center" });
    next.querySelector("input").focus({ preventScroll: true });
  });
  var summaryBox = document.querySelector(".reconcile-form .error-summary");
  if (summaryBox) summaryBox.focus();

  var firstError = form.querySelector(".has-error input.keyed, tr .field-error");
  var start = firstError ? (firstError.closest("li, tr") || form).querySelector("input") : fields[0];
  if (start && form.classList.contains("entry-form")) start.focus();
})();
