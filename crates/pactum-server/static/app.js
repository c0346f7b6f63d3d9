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

  // The unread count next to the Inbox link.
  function inboxCount() {
    var badge = document.getElementById("inbox-count");
    if (!badge || !window.fetch) return;
    fetch("/api/inbox/unread", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j) return;
        badge.textContent = String(j.unread);
        badge.hidden = j.unread === 0;
      })
      .catch(function () {});
  }

  // Live updates: a room page listens to its room's event stream and, on a
  // change its user may see, fetches the page again and swaps its <main>,
  // unless the user is typing in a form there (then a notice offers a
  // reload). EventSource reconnects by itself.
  function live() {
    var main = document.getElementById("main");
    var url = main && main.getAttribute("data-live");
    if (!url || !window.EventSource || !window.fetch || !window.DOMParser) return;
    var pending = null;
    var source = new EventSource(url);
    // A page left behind closes its stream at once: browsers hold only a
    // few connections per server, and a stream kept open by a page in the
    // back/forward cache would starve the pages that follow.
    window.addEventListener("pagehide", function () { source.close(); });
    window.addEventListener("pageshow", function (e) { if (e.persisted) location.reload(); });
    function editing() {
      var el = document.activeElement;
      if (el && main.contains(el) && el.form) return true;
      var dirty = false;
      main.querySelectorAll("input, textarea, select").forEach(function (f) {
        if (f.type === "hidden" || f.type === "submit") return;
        if (f.type === "checkbox" || f.type === "radio") { if (f.checked !== f.defaultChecked) dirty = true; }
        else if (f.tagName === "SELECT") {
          // With no option marked selected, a single select shows its first
          // option: that is its untouched state, not an edit.
          var marked = Array.prototype.some.call(f.options, function (o) { return o.defaultSelected; });
          Array.prototype.forEach.call(f.options, function (o, i) {
            var initial = marked ? o.defaultSelected : (!f.multiple && i === 0);
            if (o.selected !== initial) dirty = true;
          });
        } else if (f.value !== f.defaultValue) dirty = true;
      });
      main.querySelectorAll("details[open]").forEach(function (d) { if (d.querySelector("form")) dirty = true; });
      return dirty;
    }
    function notice() {
      if (document.getElementById("live-notice")) return;
      var n = document.createElement("div");
      n.id = "live-notice";
      n.className = "live-notice";
      n.setAttribute("role", "status");
      n.appendChild(document.createTextNode("Updated — "));
      var a = document.createElement("a");
      a.href = location.href;
      a.textContent = "reload";
      a.addEventListener("click", function (e) { e.preventDefault(); location.reload(); });
      n.appendChild(a);
      document.body.appendChild(n);
    }
    function refresh() {
      pending = null;
      if (editing()) { notice(); return; }
      fetch(location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("main");
          if (!fresh) return;
          if (editing()) { notice(); return; }
          main.innerHTML = fresh.innerHTML;
          main.setAttribute("data-refreshed", String(Date.now()));
          autosubmit();
          stanceForm();
          matrix();
          redline();
          oncePerSubmit();
          fileFill();
        })
        .catch(function () {});
      inboxCount();
    }
    source.addEventListener("change", function () {
      // Writes often come in bursts: one refetch for a burst.
      if (!pending) pending = setTimeout(refresh, 300);
    });
  }

  ready(function () {
    inboxCount();
    live();
    fileFill();
    autosubmit();
    stanceForm();
    matrix();
    redline();
    oncePerSubmit();
  });
})();
