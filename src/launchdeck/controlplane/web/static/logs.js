// New log lines as they are written (server-sent events); the page reads without it.
(function () {
  var list = document.getElementById("lines");
  if (!list || !list.dataset.follow || !window.EventSource) return;
  var source = new EventSource(list.dataset.follow);
  source.onmessage = function (message) {
    var entry = JSON.parse(message.data);
    var item = document.createElement("li");
    item.className = entry.level;
    var where = document.createElement("span");
    where.className = "where";
    where.textContent = entry.instance;
    item.appendChild(where);
    item.appendChild(document.createTextNode(" " + entry.line));
    list.appendChild(item);
  };
})();
