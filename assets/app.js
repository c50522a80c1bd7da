// MITx Online progressive enhancement. Every page works without this file.
// - Forms with data-confirm ask before submitting.
// - Forms with data-autosubmit submit themselves (the checkout hand-off to the payment page).
// - Buttons with data-print print the page (the receipt). No inline handlers: the CSP forbids them.
// - fetch() helpers send Django's CSRF header from the csrftoken cookie.

export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export async function postJSON(url, body) {
  const res = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  return res;
}

function enhance(root) {
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  }
  for (const form of root.querySelectorAll("form[data-autosubmit]")) {
    form.submit();
  }
  for (const button of root.querySelectorAll("button[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => enhance(document));
} else {
  enhance(document);
}
