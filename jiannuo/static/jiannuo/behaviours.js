/* Small page behaviours, bound here instead of inline on* attributes (the Content-Security-
   Policy forbids inline script): a select with data-autosubmit submits its form on change, a
   button with data-print prints the page. */
(function () {
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
  document.addEventListener("click", function (e) {
    var el = e.target && e.target.closest ? e.target.closest("[data-print]") : null;
    if (el) {
      e.preventDefault();
      window.print();
    }
  });
})();
