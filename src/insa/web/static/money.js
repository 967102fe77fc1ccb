// Money inputs (class="money"): shown with thousands separators (17,906,330) once the field is
// left; the server accepts the separators. Without JavaScript the plain digits still work.
(function () {
  function format(el) {
    var digits = el.value.replace(/[^0-9]/g, "");
    if (digits === "" || digits.length > 15) return;
    el.value = Number(digits).toLocaleString("ko-KR");
  }
  function all(root) {
    (root || document).querySelectorAll("input.money").forEach(function (el) {
      if (el.dataset.money) return;
      el.dataset.money = "1";
      el.setAttribute("inputmode", "numeric");
      el.addEventListener("blur", function () { format(el); });
      format(el);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { all(document); });
  document.addEventListener("htmx:afterSwap", function (e) { all(e.target); });
})();
