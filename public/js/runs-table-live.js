// Keeps the target page's runs table current: state and status of each run arrive over Socket.IO, and runs
// started elsewhere get a row (no reload, which would cut short the browser's own navigation after Run). The
// server sends only the runs this user may see (each run's sharing, checked per socket).
(function () {
  'use strict';
  var table = document.getElementById('runs-table');
  if (!table || typeof io === 'undefined' || !window.portalLiveSocket) return;
  var targetId = Number(table.getAttribute('data-target-id'));
  var body = table.querySelector('tbody');

  function cell(row, className, text) {
    var td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text || '';
    row.appendChild(td);
    return td;
  }

  function newRow(state) {
    var empty = body.querySelector('.no-runs');
    if (empty) empty.remove();
    var row = document.createElement('tr');
    row.setAttribute('data-run-id', String(state.runId));
    var link = document.createElement('a');
    link.href = '/pipeline/' + state.runId;
    link.textContent = 'run ' + state.runId;
    cell(row).appendChild(link);
    cell(row, '', '');
    cell(row, 'run-state', '');
    cell(row, 'run-status', '');
    cell(row, '', '');
    cell(row, '', state.startedAt ? state.startedAt.replace('T', ' ').slice(0, 19) + ' UTC' : '');
    body.insertBefore(row, body.firstChild);
    return row;
  }

  // Connects again after the server ends the connection (live-socket.js); 'connect' then joins again.
  var socket = window.portalLiveSocket();
  socket.on('connect', function () { socket.emit('join-target', { targetId: targetId }); });
  socket.on('run', function (state) {
    if (state.targetId !== targetId) return;
    var row = table.querySelector('tr[data-run-id="' + state.runId + '"]') || newRow(state);
    var stateCell = row.querySelector('.run-state');
    stateCell.textContent = '';
    var badge = document.createElement('span');
    badge.className = 'badge state-' + state.state;
    badge.textContent = state.state;
    stateCell.appendChild(badge);
    row.querySelector('.run-status').textContent = state.status || '';
  });
})();
