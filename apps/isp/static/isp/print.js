// The printable invoice's Print button (isp/documents/invoice.html): wired here, not in an
// inline handler, so that the page keeps to the Content-Security-Policy. Without JavaScript
// the button stays hidden and the browser's own Print works.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
