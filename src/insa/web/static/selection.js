// Forms that act on a selection (data-selection on the form): each checkbox carries its
// amount (data-amount); the element [data-selection-total] says how many are chosen and
// their sum, and the form asks to confirm the count and the sum before it is sent
// (data-confirm holds the sentence, {n} and {sum} filled in). The server shows the first
// total itself, so the page reads right without JavaScript.
(function () {
  function won(n) { return n.toLocaleString("ko-KR"); }
  function tally(form) {
    var n = 0, sum = 0;
    form.querySelectorAll("input[type=checkbox][data-amount]").forEach(function (el) {
      if (el.checked) { n += 1; sum += Number(el.dataset.amount); }
    });
    return { n: n, sum: sum };
  }
  function show(form) {
    var t = tally(form), out = form.querySelector("[data-selection-total]");
    if (out) out.textContent = "선택 " + won(t.n) + "건 · 합계 " + won(t.sum) + "원";
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = t.n === 0;
  }
  function wire(form) {
    if (form.dataset.selectionWired) return;
    form.dataset.selectionWired = "1";
    form.addEventListener("change", function () { show(form); });
    form.addEventListener("submit", function (e) {
      var t = tally(form), text = form.dataset.confirm;
      if (text && !window.confirm(text.replace("{n}", won(t.n)).replace("{sum}", won(t.sum)))) {
        e.preventDefault();
      }
    });
    show(form);
  }
  function all(root) { (root || document).querySelectorAll("form[data-selection]").forEach(wire); }
  document.addEventListener("DOMContentLoaded", function () { all(document); });
  document.addEventListener("htmx:afterSwap", function (e) { all(e.target); });
})();
