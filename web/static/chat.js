// The chat page without reloads: the form is posted with fetch and the
// answer appended. Without JavaScript the same form posts and the page
// re-renders the conversation.
(function () {
  "use strict";
  var form = document.getElementById("chat-form");
  var log = document.getElementById("chat-log");
  var box = document.getElementById("chat-text");
  if (!form || !log || !box || !window.fetch || !window.URLSearchParams) return;

  function add(role, text) {
    var p = document.createElement("p");
    p.className = "line " + role;
    var b = document.createElement("b");
    b.textContent = (role === "user" ? "我" : "助手") + "：";
    p.appendChild(b);
    text.split("\n").forEach(function (line, i) {
      if (i > 0) p.appendChild(document.createElement("br"));
      p.appendChild(document.createTextNode(line));
    });
    log.appendChild(p);
    p.scrollIntoView({ block: "end" });
    return p;
  }

  var busy = false;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = box.value.trim();
    if (!text || busy) return;
    busy = true;
    var body = new URLSearchParams();
    body.set("csrf", form.elements["csrf"].value);
    body.set("text", text);
    add("user", text);
    box.value = "";
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    }).then(function (x) {
      if (!x.ok) { add("bot", x.j.error || "发送失败，请稍后再试").classList.add("error"); return; }
      var p = add("bot", x.j.reply);
      if (x.j.case_no) { p.id = "chat-filed"; p.setAttribute("data-case-no", x.j.case_no); }
    }).catch(function () {
      add("bot", "网络错误或页面已过期，请刷新页面后再试。").classList.add("error");
    }).then(function () { busy = false; box.focus(); });
  });

  box.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  var last = log.lastElementChild;
  if (last) last.scrollIntoView({ block: "end" });
})();
