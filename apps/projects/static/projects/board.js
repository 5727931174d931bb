// Project board: drag a card to another column or to another place in its column; the move
// (column and position) is saved with fetch through the same service as the API's move action.
// On a refusal (a WIP limit, a concurrent move) the card goes back where it was.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board) return;
  const status = document.getElementById("board-status");
  const csrf = board.dataset.csrf;
  let dragged = null;
  let origin = null;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function recount(column) {
    const count = column.querySelectorAll(".card").length;
    column.querySelector(".col-count").textContent = count;
    const wip = parseInt(column.dataset.wip, 10);
    column.classList.toggle("at-limit", Boolean(wip) && count >= wip);
    column.classList.toggle("over-limit", Boolean(wip) && count > wip);
  }

  // The card the pointer is above: the dragged card goes before it (none: at the bottom).
  function cardAfter(container, y) {
    const cards = [...container.querySelectorAll(".card:not(.dragging)")];
    return cards.find((card) => {
      const box = card.getBoundingClientRect();
      return y < box.top + box.height / 2;
    }) || null;
  }

  board.addEventListener("dragstart", function (event) {
    const card = event.target.closest(".card");
    if (!card) return;
    dragged = card;
    origin = { column: card.closest(".kcolumn"), next: card.nextElementSibling };
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.id);
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
  });

  board.addEventListener("dragover", function (event) {
    const column = event.target.closest(".kcolumn");
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-target").forEach((c) => c !== column && c.classList.remove("drop-target"));
    column.classList.add("drop-target");
  });

  board.addEventListener("drop", function (event) {
    const column = event.target.closest(".kcolumn");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    const card = dragged;
    const from = origin.column;
    const container = column.querySelector(".cards");
    const before = cardAfter(container, event.clientY);
    container.insertBefore(card, before);
    const position = [...container.querySelectorAll(".card")].indexOf(card);
    recount(from);
    recount(column);
    card.classList.add("saving");
    say("Saving…");
    fetch(card.dataset.move, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ column: column.dataset.column, position: position }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
          return body;
        });
      })
      .then(function (body) {
        card.classList.remove("saving");
        say("Moved to " + body.column_name + ", position " + (body.position + 1) + ".");
      })
      .catch(function (error) {
        from.querySelector(".cards").insertBefore(card, origin.next && origin.next.parentNode ? origin.next : null);
        recount(from);
        recount(column);
        card.classList.remove("saving");
        say("Not moved: " + error.message, true);
      });
  });
})();
