// The progress table follows the class live: when a student's run changes state, a hand-in arrives or feedback is
// saved, the server says which row changed in the assignment's room (joined only by its class's teachers), and the
// table's rows are read again from the server, so what is shown is always what the server says now.
(function () {
  'use strict';
  var table = document.getElementById('progress-table');
  if (!table || !window.portalLiveSocket) return;
  var id = table.getAttribute('data-assignment-id');
  var body = table.querySelector('tbody');
  var loading = false;
  var again = false;

  function editing() {
    var active = document.activeElement;
    return active && body.contains(active) && (active.tagName === 'TEXTAREA' || active.tagName === 'INPUT');
  }

  function refresh() {
    // A teacher typing feedback keeps what they typed: the rows are read again once they leave the field.
    if (editing()) { again = true; return; }
    if (loading) { again = true; return; }
    loading = true;
    fetch('/assignments/' + id + '/progress/rows', { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          body.innerHTML = html;
          table.setAttribute('data-refreshed', String(Date.now()));
          recount();
          if (window.portalLocalTimes) window.portalLocalTimes(body);
        }
      })
      .finally(function () {
        loading = false;
        if (again) { again = false; refresh(); }
      });
  }

  // The line above the table counts what the rows now say.
  function recount() {
    var counts = document.getElementById('progress-counts');
    if (!counts) return;
    var rows = body.querySelectorAll('tr[data-student-id]').length;
    var handedIn = body.querySelectorAll('.progress-status .status-handed-in, .progress-status .status-late').length;
    var failed = body.querySelectorAll('.progress-status .status-failed').length;
    counts.textContent = handedIn + ' of ' + rows + ' handed in; ' + failed + ' with a failed run. The table follows the class live.';
  }

  body.addEventListener('focusout', function () { if (again) setTimeout(function () { if (!editing()) { again = false; refresh(); } }, 0); });

  var socket = window.portalLiveSocket();
  socket.on('connect', function () {
    socket.emit('join-assignment', { assignmentId: Number(id) }, function (reply) {
      table.setAttribute('data-live', reply && reply.ok ? 'joined' : 'refused');
      // Whatever happened while the page was away from the server.
      if (reply && reply.ok) refresh();
    });
  });
  socket.on('assignment-progress', function () { refresh(); });
})();
