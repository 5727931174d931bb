// Pipeline board: drag a card to another stage; the move is saved with fetch (no reload)
// through the same service as the API's move action. On failure the card goes back.
// The owner filter shows the board of the owner picked as soon as one is picked (wired here:
// the Content-Security-Policy runs no inline handler).
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  const board = document.getElementById("board");
  if (!board) return;
  const status = document.getElementById("board-status");
  const csrf = board.dataset.csrf;
  let dragged = null;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function recount(column) {
    const cards = column.querySelectorAll(".deal");
    let total = 0;
    cards.forEach((card) => { total += parseFloat(card.dataset.amount) || 0; });
    column.querySelector(".col-count").textContent = cards.length;
    column.querySelector(".col-total").textContent = money.format(total) + " " + board.dataset.currency;
  }

  board.addEventListener("dragstart", function (event) {
    const card = event.target.closest(".deal");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.id);
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
  });

  board.addEventListener("dragover", function (event) {
    const column = event.target.closest(".column");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-target").forEach((c) => c !== column && c.classList.remove("drop-target"));
    column.classList.add("drop-target");
  });

  board.addEventListener("drop", function (event) {
    const column = event.target.closest(".column");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    const id = event.dataTransfer.getData("text/plain");
    const card = dragged && dragged.dataset.id === id ? dragged : document.getElementById("deal-" + id);
    if (!card) return;
    const from = card.closest(".column");
    if (from === column) return;
    let lostReason = "";
    if (column.dataset.stageKind === "lost") {
      lostReason = window.prompt("Why was it lost? (optional)") || "";
    }
    column.querySelector(".cards-drop").prepend(card);
    recount(from);
    recount(column);
    card.classList.add("saving");
    say("Saving…");
    fetch(card.dataset.move, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ stage: column.dataset.stage, lost_reason: lostReason }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
          return body;
        });
      })
      .then(function (body) {
        card.classList.remove("saving");
        card.dataset.stage = body.stage;
        say("Moved to " + body.stage_name + ".");
      })
      .catch(function (error) {
        from.querySelector(".cards-drop").prepend(card);
        recount(from);
        recount(column);
        card.classList.remove("saving");
        say("Not moved: " + error.message, true);
      });
  });
})();
