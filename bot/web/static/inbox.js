// Live inbox: new drafts slide in, decided ones leave, without reloading the page.
(function () {
  "use strict";
  var cards = document.getElementById("cards");
  var live = document.getElementById("live");
  var empty = document.getElementById("empty");
  var count = document.getElementById("open-count");
  if (!cards || !window.EventSource) { return; }
  // Drafts are listed newest first: a new one belongs on the first page only.
  var firstPage = (cards.dataset.page || "1") === "1";

  // The page holds one page of cards: the number waiting comes from the server.
  function refreshCount() {
    if (empty) { empty.hidden = cards.querySelectorAll(".card").length > 0; }
    fetch(cards.dataset.countUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || typeof data.open !== "number") { return; }
        if (count) { count.textContent = data.open + " open"; }
        document.title = document.title.replace(/^Inbox \(\d+\)/, "Inbox (" + data.open + ")");
      })
      .catch(function () { /* logged out or offline: leave the count as it was */ });
  }

  // The card's HTML, or "" once it is no longer open (or not ours).
  function fetchCard(id) {
    return fetch(cards.dataset.cardUrl + id, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; });
  }

  function build(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  function insert(id) {
    if (!firstPage || document.getElementById("s-" + id)) { refreshCount(); return; }
    fetchCard(id).then(function (html) {
      if (html && !document.getElementById("s-" + id)) {
        var card = build(html);
        card.classList.add("fresh");
        cards.insertBefore(card, cards.firstChild);
      }
      refreshCount();
    });
  }

  // Escalated: still open, shown again in place with its new state.
  function replace(id) {
    var old = document.getElementById("s-" + id);
    if (!old) { refreshCount(); return; }
    fetchCard(id).then(function (html) {
      var current = document.getElementById("s-" + id);
      if (current) {
        if (html) { current.replaceWith(build(html)); } else { current.remove(); }
      }
      refreshCount();
    });
  }

  function remove(id) {
    var card = document.getElementById("s-" + id);
    if (card) { card.remove(); }
    refreshCount();
  }

  var source = new EventSource("/inbox/events");
  source.addEventListener("ready", function () { live.classList.add("on"); });
  source.addEventListener("suggestion.created", function (e) {
    insert(JSON.parse(e.data).suggestion_id);
  });
  source.addEventListener("suggestion.decided", function (e) {
    var data = JSON.parse(e.data);
    if (data.status === "escalated") { replace(data.suggestion_id); }
    else { remove(data.suggestion_id); }
  });
  source.onerror = function () { live.classList.remove("on"); };
})();
