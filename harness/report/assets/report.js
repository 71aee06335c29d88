// Filters for the matrix and the details; the report works without it.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function apply() {
    var shown = {};
    all("input[data-status]").forEach(function (b) { shown[b.getAttribute("data-status")] = b.checked; });
    var only = document.getElementById("only-diff");
    var box = document.getElementById("search");
    var q = box ? box.value.trim().toLowerCase() : "";
    all("[data-statuses]").forEach(function (el) {
      var sts = el.getAttribute("data-statuses").split(" ");
      var ok = sts.some(function (s) { return s === "" || shown[s] !== false; });
      if (ok && only && only.checked && el.getAttribute("data-differs") !== "true") { ok = false; }
      if (ok && q) { ok = (el.getAttribute("data-search") || "").toLowerCase().indexOf(q) >= 0; }
      el.classList.toggle("hidden", !ok);
    });
  }
  function setOpen(open) {
    all("details").forEach(function (d) { d.open = open; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    all("input[data-status], #only-diff").forEach(function (b) { b.addEventListener("change", apply); });
    var box = document.getElementById("search");
    if (box) { box.addEventListener("input", apply); }
    var ex = document.getElementById("expand-all");
    if (ex) { ex.addEventListener("click", function () { setOpen(true); }); }
    var co = document.getElementById("collapse-all");
    if (co) { co.addEventListener("click", function () { setOpen(false); }); }
    var pr = document.getElementById("problems-only");
    if (pr) {
      pr.addEventListener("click", function () {
        all("input[data-status]").forEach(function (b) { b.checked = /^(fail|error|xpass)$/.test(b.getAttribute("data-status")); });
        apply();
      });
    }
    var sa = document.getElementById("show-all");
    if (sa) {
      sa.addEventListener("click", function () {
        all("input[data-status]").forEach(function (b) { b.checked = true; });
        if (box) { box.value = ""; }
        var only = document.getElementById("only-diff");
        if (only) { only.checked = false; }
        apply();
      });
    }
    // A link to a result opens it and every fold around it (a result of
    // a requirement that ran nowhere sits in a folded group), keeps its
    // requirement visible, and scrolls to it once it is open.
    function openTarget() {
      var id = decodeURIComponent(location.hash.slice(1));
      var el = id && document.getElementById(id);
      if (!el) { return; }
      for (var d = el; d; d = d.parentElement) {
        if (d.tagName === "DETAILS") { d.open = true; }
      }
      el.classList.remove("hidden");
      var p = el.closest("[data-statuses]");
      if (p) { p.classList.remove("hidden"); }
      el.scrollIntoView();
    }
    window.addEventListener("hashchange", openTarget);
    openTarget();
  });
  // Printing shows every problem's evidence, and only that.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = all("details.result.problem:not([open]), details.result.problem details:not([open])");
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
