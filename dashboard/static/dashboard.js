// TradeBot dashboard: live status by server-sent events (polling when they are unavailable), log
// refresh, and a confirmation before drastic controls. Pages work without this script.
(function () {
  'use strict';

  function stamp() {
    var el = document.getElementById('updated');
    if (el) el.textContent = 'updated ' + new Date().toISOString().slice(11, 19) + 'Z';
  }

  function poll(target, url, everyMs) {
    function once() {
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html !== null && html !== undefined) { target.innerHTML = html; stamp(); }
        })
        .catch(function () { /* offline for a moment: the next round tries again */ })
        .then(function () { setTimeout(once, everyMs); });
    }
    setTimeout(once, everyMs);
  }

  var live = document.getElementById('live');
  if (live) {
    stamp();
    if (window.EventSource && live.dataset.events) {
      var es = new EventSource(live.dataset.events);
      var gotOne = false;
      es.addEventListener('status', function (e) { gotOne = true; live.innerHTML = e.data; stamp(); });
      es.addEventListener('ping', stamp);
      es.addEventListener('expired', function () { es.close(); window.location.reload(); });
      es.onerror = function () {
        // Closed for good (a proxy that does not pass event streams): poll instead.
        if (es.readyState === 2) {
          es.close();
          poll(live, live.dataset.poll, gotOne ? 3000 : 5000);
        }
      };
    } else if (live.dataset.poll) {
      poll(live, live.dataset.poll, 5000);
    }
  }

  var logs = document.getElementById('live-logs');
  if (logs && logs.dataset.poll) poll(logs, logs.dataset.poll, 5000);

  document.addEventListener('submit', function (e) {
    var form = e.target;
    var text = form && form.getAttribute && form.getAttribute('data-confirm');
    if (text && !window.confirm(text)) e.preventDefault();
  });
})();
