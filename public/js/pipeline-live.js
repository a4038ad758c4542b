// The live run page: joins the run's room, asks for the log lines after the last one shown (on every
// (re)connect), appends new lines in order without repeats, and updates state and status as they change.
(function () {
  'use strict';
  var facts = document.getElementById('run-facts');
  var logBox = document.getElementById('run-log');
  if (!facts || !logBox || typeof io === 'undefined') return;
  var runId = Number(facts.getAttribute('data-run-id'));
  var lastSeq = Number(facts.getAttribute('data-last-seq')) || 0;
  var follow = document.getElementById('follow-log');
  var indicator = document.getElementById('live-indicator');

  function appendLine(line) {
    if (line.seq <= lastSeq) return; // already shown
    lastSeq = line.seq;
    var span = document.createElement('span');
    span.className = 'log-line level-' + line.level;
    span.setAttribute('data-seq', String(line.seq));
    span.textContent = line.text + '\n';
    logBox.appendChild(span);
    if (follow && follow.checked) logBox.scrollTop = logBox.scrollHeight;
  }

  function showState(state) {
    var stateEl = document.getElementById('run-state');
    stateEl.textContent = state.state;
    stateEl.className = 'state-' + state.state;
    document.getElementById('run-status').textContent = state.status || '';
    document.getElementById('run-failure').textContent = state.failureMessage || '';
    if (state.startedAt) document.getElementById('run-started').textContent = state.startedAt.replace('T', ' ').slice(0, 19) + ' UTC';
    if (state.finishedAt) document.getElementById('run-finished').textContent = state.finishedAt.replace('T', ' ').slice(0, 19) + ' UTC';
    if (state.outputGroupId) {
      var outputs = document.getElementById('run-outputs');
      outputs.textContent = '';
      var link = document.createElement('a');
      link.href = '/groups/' + state.outputGroupId;
      link.textContent = 'output group';
      outputs.appendChild(link);
    }
    var cancel = document.getElementById('cancel-form');
    if (cancel && ['succeeded', 'failed', 'cancelled', 'interrupted'].indexOf(state.state) !== -1) cancel.remove();
  }

  var socket = io({ transports: ['websocket', 'polling'] });
  socket.on('connect', function () {
    indicator.textContent = '● live';
    socket.emit('join-run', { runId: runId, after: lastSeq }, function (reply) {
      if (!reply || !reply.ok) { indicator.textContent = reply && reply.error ? reply.error : 'not live'; return; }
      reply.lines.forEach(appendLine);
      showState({ state: reply.state, status: reply.status });
    });
  });
  socket.on('disconnect', function () { indicator.textContent = '○ reconnecting…'; });
  socket.on('log', function (line) { if (line.runId === runId) appendLine(line); });
  socket.on('run', function (state) { if (state.runId === runId) showState(state); });
  if (follow && follow.checked) logBox.scrollTop = logBox.scrollHeight;
})();
