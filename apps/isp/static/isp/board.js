/* The dispatcher's board: drag a job card to another technician's row or another day; the
 * drop posts the same move form as the card's own (work_order_schedule on the server). */
(function () {
  "use strict";
  var form = document.getElementById("drop-form");
  if (!form) return;
  var dragged = null;
  document.querySelectorAll(".job-card[draggable=true]").forEach(function (card) {
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      event.dataTransfer.setData("text/plain", card.id);
    });
  });
  document.querySelectorAll(".board-cell").forEach(function (cell) {
    cell.addEventListener("dragover", function (event) { event.preventDefault(); });
    cell.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!dragged) return;
      form.action = dragged.dataset.move;
      form.elements.technician.value = cell.dataset.technician || "";
      form.elements.day.value = cell.dataset.day;
      form.submit();
    });
  });
})();
