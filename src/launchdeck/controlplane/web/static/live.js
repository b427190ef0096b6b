// A list that grows as things happen (server-sent events): a running deployment's events, new
// log lines. `data-follow` names the stream; `data-label` and `data-text` the fields each item
// shows, `data-class` the one it is styled by. Every page reads without this.
(function () {
  var list = document.querySelector("[data-follow]");
  if (!list || !list.dataset.follow || !window.EventSource) return;
  var source = new EventSource(list.dataset.follow);
  source.onmessage = function (message) {
    var entry = JSON.parse(message.data);
    var item = document.createElement("li");
    item.className = entry[list.dataset.class] || "";
    var label = document.createElement("span");
    label.className = "label";
    label.textContent = entry[list.dataset.label];
    item.appendChild(label);
    item.appendChild(document.createTextNode(" " + entry[list.dataset.text]));
    list.appendChild(item);
  };
  source.addEventListener("finished", function (message) {  // a deployment's end
    var state = document.getElementById("state");
    if (state) state.textContent = JSON.parse(message.data).state;
    source.close();
  });
})();
