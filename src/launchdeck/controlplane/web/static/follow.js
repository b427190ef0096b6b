// A running deployment's events, as they come (server-sent events); the page reads without it.
(function () {
  var list = document.getElementById("events");
  var url = list && list.dataset.follow;
  if (!url) return;
  var source = new EventSource(url);
  source.onmessage = function (message) {
    var event = JSON.parse(message.data);
    var item = document.createElement("li");
    item.className = event.kind;
    var kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = event.kind;
    item.appendChild(kind);
    item.appendChild(document.createTextNode(" " + event.message));
    list.appendChild(item);
  };
  source.addEventListener("finished", function (message) {
    var dep = JSON.parse(message.data);
    document.getElementById("state").textContent = dep.state;
    source.close();
  });
})();
