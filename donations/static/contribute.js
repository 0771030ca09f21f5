// The contribute form works without this; with it, the reader sees what they will pay as they
// choose: the fee they may cover in money rather than as a rule, and a one-line summary.
(function () {
  "use strict";
  var form = document.getElementById("give");
  if (!form) return;
  var exponent = parseInt(form.dataset.exponent, 10);
  var percent = parseFloat(form.dataset.feePercent);
  var fixed = parseInt(form.dataset.feeFixed, 10);
  var currency = form.dataset.currency.toUpperCase();
  var custom = document.getElementById("custom_amount");
  var cover = document.getElementById("cover_fee");
  var feeAmount = document.getElementById("fee-amount");
  var summary = document.getElementById("summary");
  var referrer = form.querySelector('input[name="referrer"]');
  var HOW_OFTEN = { one_off: "once", monthly: "every month", annual: "every year" };

  if (referrer && !referrer.value && document.referrer &&
      document.referrer.indexOf(location.origin + "/") !== 0) {
    referrer.value = document.referrer.slice(0, 500);
  }

  function show(minor) {
    return new Intl.NumberFormat("en", { style: "currency", currency: currency })
      .format(minor / Math.pow(10, exponent));
  }

  // As donations/checkout/cover.py: (gift + fixed) / (1 - percent / 100), rounded up.
  function feeFor(minor) {
    if (!(percent > 0 || fixed > 0)) return 0;
    return Math.ceil(((minor + fixed) * 100) / (100 - percent) - 1e-9) - minor;
  }

  function frequency() {
    var chosen = form.querySelector('input[name="frequency"]:checked');
    return chosen ? chosen.value : "one_off";
  }

  // The typed amount in minor units, if it reads plainly ("12", "12.50", "12,50").
  function typed() {
    var text = custom.value.trim().replace(/\s/g, "");
    if (!/^\d+([.,]\d{1,3})?$/.test(text)) return null;
    return Math.round(parseFloat(text.replace(",", ".")) * Math.pow(10, exponent));
  }

  function amount() {
    if (custom.value.trim()) return typed();
    var chosen = form.querySelector('input[name="amount_' + frequency() + '"]:checked');
    return chosen ? parseInt(chosen.dataset.minor, 10) : null;
  }

  function update() {
    var gift = amount();
    if (gift === null) { summary.textContent = ""; return; }
    var fee = feeFor(gift);
    if (feeAmount) feeAmount.textContent = show(fee);
    var total = gift + (cover && cover.checked ? fee : 0);
    summary.textContent = "You give " + show(total) + " " + HOW_OFTEN[frequency()] + ".";
  }

  form.addEventListener("change", function (event) {
    // Choosing a suggested amount clears a typed one: the two never disagree.
    if (event.target.name && event.target.name.indexOf("amount_") === 0) custom.value = "";
    update();
  });
  custom.addEventListener("input", function () {
    if (custom.value.trim()) {
      form.querySelectorAll('.amounts input:checked').forEach(function (input) {
        input.checked = false;
      });
    }
    update();
  });
  update();
})();
