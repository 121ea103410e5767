// The application form: focus the list of problems when the form comes back with errors, and
// say how many shares the typed amount buys (the server checks it again on sending).
(function () {
  "use strict";
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
  const output = document.getElementById("amount-shares");
  const input = output && document.getElementById(output.dataset.input);
  if (!input) {
    return;
  }
  const pennies = (text) => {
    const match = text.replace(/[£€,\s]/g, "").match(/^(\d+)(?:\.(\d{1,2}))?$/);
    return match ? Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0")) : null;
  };
  const price = pennies(output.dataset.price);
  const money = (p) => output.dataset.sign + (p / 100).toLocaleString("en-GB", { minimumFractionDigits: 2 });
  input.addEventListener("input", () => {
    const amount = pennies(input.value);
    if (!amount || !price) {
      output.textContent = "";
      return;
    }
    const shares = Math.floor(amount / price);
    output.textContent =
      amount % price === 0
        ? `That buys ${shares} shares.`
        : `That is not a whole number of shares: try ${money(shares * price)} or ${money((shares + 1) * price)}.`;
  });
})();
