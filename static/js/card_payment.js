// The card page: Stripe.js collects the card (confirmCardSetup), the server charges it, or
// holds it for allocation, and 3-D Secure is finished here (confirmCardPayment).
(function () {
  "use strict";
  const form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  const message = document.getElementById("card-message");
  const button = form.querySelector("button");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const DONE = ["succeeded", "processing", "authorised"];

  const post = (url, body) =>
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    })
      .then((response) => response.json())
      .catch(() => ({ message: "We could not reach the site. Check your connection, then reload this page." }));

  const finish = (outcome) => {
    if (DONE.includes(outcome.status)) {
      message.textContent = outcome.message || "Thank you: your payment has been received.";
      button.disabled = true;
    } else {
      message.textContent = outcome.message || "The payment did not go through.";
      button.disabled = false;
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    message.textContent = "Checking your card…";
    const setup = await stripe.confirmCardSetup(form.dataset.setupSecret, { payment_method: { card: card } });
    if (setup.error) {
      finish({ message: setup.error.message });
      return;
    }
    let outcome = await post(form.dataset.chargeUrl, {
      payment_method: setup.setupIntent.payment_method,
      setup_intent: setup.setupIntent.id,
    });
    if (outcome.status === "requires_action") {
      const result = await stripe.confirmCardPayment(outcome.client_secret);
      outcome = result.error ? { message: result.error.message } : await post(form.dataset.checkUrl);
    }
    finish(outcome);
  });
})();
