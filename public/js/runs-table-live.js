// Keeps the target page's runs table current: state and status of each run arrive over Socket.IO.
(function () {
  'use strict';
  var table = document.getElementById('runs-table');
  if (!table || typeof io === 'undefined') return;
  var targetId = Number(table.getAttribute('data-target-id'));
  var socket = io({ transports: ['websocket', 'polling'] });
  socket.on('connect', function () { socket.emit('join-target', { targetId: targetId }); });
  socket.on('run', function (state) {
    if (state.targetId !== targetId) return;
    var row = table.querySelector('tr[data-run-id="' + state.runId + '"]');
    if (!row) { window.location.reload(); return; } // a run started elsewhere: show it
    row.querySelector('.run-state').textContent = state.state;
    row.querySelector('.run-status').textContent = state.status || '';
  });
})();
