// Live inbox: new drafts slide in, decided ones leave, without reloading the page.
(function () {
  "use strict";
  var cards = document.getElementById("cards");
  var live = document.getElementById("live");
  var empty = document.getElementById("empty");
  var count = document.getElementById("open-count");
  if (!cards || !window.EventSource) { return; }

  function refreshCount() {
    var n = cards.querySelectorAll(".card").length;
    if (empty) { empty.hidden = n > 0; }
    if (count) { count.textContent = n + " open"; }
  }

  function insert(id) {
    if (document.getElementById("s-" + id)) { return; }
    fetch(cards.dataset.cardUrl + id, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html || document.getElementById("s-" + id)) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var card = holder.firstElementChild;
        card.classList.add("fresh");
        cards.insertBefore(card, cards.firstChild);
        refreshCount();
      });
  }

  function remove(id) {
    var card = document.getElementById("s-" + id);
    if (card) { card.remove(); refreshCount(); }
  }

  var source = new EventSource("/inbox/events");
  source.addEventListener("ready", function () { live.classList.add("on"); });
  source.addEventListener("suggestion.created", function (e) {
    insert(JSON.parse(e.data).suggestion_id);
  });
  source.addEventListener("suggestion.decided", function (e) {
    var data = JSON.parse(e.data);
    if (data.status === "escalated") { remove(data.suggestion_id); insert(data.suggestion_id); }
    else { remove(data.suggestion_id); }
  });
  source.onerror = function () { live.classList.remove("on"); };
})();
