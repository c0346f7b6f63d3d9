// pactum workspace UI: small progressive enhancements. Every page works
// without this script; it only saves clicks and shows details in place.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Selects marked data-autosubmit submit their GET form on change.
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      sel.addEventListener("change", function () {
        if (sel.form) sel.form.submit();
      });
    });
  }

  // The stance form: the proposed wording is required for an amendment,
  // optional for a conditional stance, and unused otherwise.
  function stanceForm() {
    var kind = document.getElementById("stance-kind");
    var field = document.getElementById("amendment-field");
    var area = document.getElementById("stance-amendment");
    var hint = document.getElementById("amendment-hint");
    if (!kind || !field || !area) return;
    function update() {
      var k = kind.value;
      area.required = k === "proposes_amendment";
      field.classList.toggle("is-muted", k !== "proposes_amendment" && k !== "conditional" && k !== "");
      if (hint) {
        hint.textContent = k === "proposes_amendment" ? "required"
          : k === "conditional" ? "optional: the wording the party asks for"
          : "optional; required when proposing an amendment";
      }
    }
    kind.addEventListener("change", update);
    update();
  }

  // Matrix chips open the stance's details in the panel below the matrix.
  function matrix() {
    var panel = document.getElementById("stance-panel");
    var store = document.getElementById("stance-details");
    if (!panel || !store) return;
    var current = null;
    document.querySelectorAll("#stance-matrix .chip").forEach(function (chip) {
      chip.setAttribute("aria-pressed", "false");
      chip.setAttribute("aria-controls", "stance-panel");
      chip.addEventListener("click", function () {
        var id = chip.getAttribute("data-stance-id");
        var detail = store.querySelector('[data-detail="' + CSS.escape(id) + '"]');
        if (!detail) return;
        if (current) current.setAttribute("aria-pressed", "false");
        if (current === chip) {
          current = null;
          panel.replaceChildren(hintNode());
          return;
        }
        current = chip;
        chip.setAttribute("aria-pressed", "true");
        panel.replaceChildren(detail.cloneNode(true));
      });
    });
    var hintText = document.getElementById("stance-panel-hint");
    var hintCopy = hintText ? hintText.cloneNode(true) : null;
    function hintNode() {
      return hintCopy ? hintCopy.cloneNode(true) : document.createTextNode("");
    }
  }

  // The redline can hide points that did not change.
  function redline() {
    var box = document.getElementById("show-unchanged");
    var list = document.getElementById("redline-points");
    if (!box || !list) return;
    function update() {
      list.classList.toggle("hide-unchanged", !box.checked);
    }
    box.addEventListener("change", update);
    update();
  }

  // A submitted form's button is disabled so a double click cannot post twice.
  function oncePerSubmit() {
    document.querySelectorAll("form[method='post']").forEach(function (form) {
      form.addEventListener("submit", function () {
        var btn = form.querySelector("button[type='submit']");
        if (btn) setTimeout(function () { btn.disabled = true; }, 0);
      });
    });
  }

  // A file input marked data-fill reads the chosen file into the textarea
  // it names, so an uploaded profile posts as an ordinary form field.
  function fileFill() {
    document.querySelectorAll("input[type='file'][data-fill]").forEach(function (input) {
      var target = document.getElementById(input.getAttribute("data-fill"));
      if (!target || !window.FileReader) return;
      input.addEventListener("change", function () {
        var f = input.files && input.files[0];
        if (!f) return;
        var reader = new FileReader();
        reader.onload = function () { target.value = String(reader.result); };
        reader.readAsText(f);
      });
    });
  }

  ready(function () {
    fileFill();
    autosubmit();
    stanceForm();
    matrix();
    redline();
    oncePerSubmit();
  });
})();
