// Threadesk dashboard: keeps the queue and a ticket page live. The page follows the server's
// feed of ticket changes (server-sent events) and, when a change concerns what it shows,
// fetches its own content again and swaps it in. The browser reconnects by itself and says
// where it was (Last-Event-ID), so nothing is missed.
(function () {
  "use strict";
  var box = document.querySelector("[data-live]");
  if (!box || !window.EventSource) { return; }
  var kind = box.getAttribute("data-live");
  var mine = box.getAttribute("data-ticket");
  var timer = null;
  var busy = false;
  var again = false;

  // text is one of the page's words in the desk's language, which the server writes on the
  // body (data-text-NAME), with {time} where a time goes.
  function text(name, time) {
    var s = document.body.getAttribute("data-text-" + name) || name;
    return s.replace("{time}", time || "");
  }

  function say(words) {
    var s = box.querySelector("[data-testid=live]");
    if (s) { s.textContent = words; }
  }

  // identity names a link or button by what it leads to or does, so that the same one is
  // found again in new content: its test ID, address, name and value, its form's action and
  // its text.
  function identity(el) {
    var form = el.closest("form");
    return [el.tagName, el.getAttribute("data-testid"), el.getAttribute("href"), el.getAttribute("name"),
      el.getAttribute("value"), form && form.getAttribute("action"), el.textContent.trim()].join("\u0001");
  }

  // swap puts new content in the box. Whoever works with the keyboard keeps their place: the
  // link or button that had the focus has it again in the new content, if it is still there.
  function swap(html) {
    var active = document.activeElement;
    var had = active && active !== box && box.contains(active) ? identity(active) : null;
    box.innerHTML = html;
    if (had === null) { return; }
    var all = box.querySelectorAll("a[href], button, [tabindex]");
    for (var i = 0; i < all.length; i++) {
      if (identity(all[i]) === had) { all[i].focus({ preventScroll: true }); return; }
    }
  }

  // refresh fetches the page's content again. A form being filled in is left alone until it
  // is sent or left: the change shows at the next one.
  function refresh() {
    var active = document.activeElement;
    if (active && box.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) {
      schedule(2000);
      return;
    }
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { headers: { "X-Fragment": kind }, credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { location.reload(); throw new Error("signed out"); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.text();
      })
      .then(function (html) {
        swap(html);
        say(text("updated", new Date().toLocaleTimeString(document.documentElement.lang || undefined)));
      })
      .catch(function () { say(text("retrying")); schedule(3000); })
      .then(function () {
        busy = false;
        if (again) { again = false; schedule(100); }
      });
  }

  function schedule(ms) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { timer = null; refresh(); }, ms);
  }

  var url = "/dashboard/events?after=" + encodeURIComponent(box.getAttribute("data-seq") || "");
  var es = new EventSource(url);
  es.addEventListener("ticket", function (e) {
    if (kind === "queue" || e.data === mine) { schedule(150); }
  });
  es.addEventListener("reload", function () { es.close(); location.reload(); });
  es.onopen = function () { say(text("live")); };
  es.onerror = function () { say(text("reconnecting")); };
})();
