// The live run page: joins the run's room, asks for the log lines after the last one shown (on every
// (re)connect), appends new lines in order without repeats, and updates state and status as they change.
// While the run is queued or running a progress bar shows: determinate when the status says "i/n" (e.g.
// "Measuring frame 3/5"), indeterminate otherwise, with the time elapsed.
(function () {
  'use strict';
  var facts = document.getElementById('run-facts');
  var logBox = document.getElementById('run-log');
  if (!facts || !logBox || typeof io === 'undefined') return;
  var runId = Number(facts.getAttribute('data-run-id'));
  var lastSeq = Number(facts.getAttribute('data-last-seq')) || 0;
  var follow = document.getElementById('follow-log');
  var indicator = document.getElementById('live-indicator');
  var progress = document.getElementById('run-progress');
  var bar = document.getElementById('run-progress-bar');
  var progressLabel = document.getElementById('run-progress-label');
  var elapsed = document.getElementById('run-elapsed');
  var TERMINAL = ['succeeded', 'failed', 'cancelled', 'interrupted'];
  var current = { state: document.getElementById('run-state').textContent.trim(), status: document.getElementById('run-status').textContent };

  // The page prints times as "2026-01-02 03:04:05 UTC".
  function parseShown(text) {
    var ms = Date.parse((text || '').replace(' UTC', 'Z').replace(' ', 'T'));
    return isNaN(ms) ? null : ms;
  }
  var createdAt = progress ? parseShown(progress.getAttribute('data-created')) : null;
  var startedAt = progress ? parseShown(progress.getAttribute('data-started')) : null;

  function formatSeconds(total) {
    total = Math.max(0, Math.round(total));
    if (total < 60) return total + ' s';
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    if (minutes < 60) return minutes + ' min ' + (seconds < 10 ? '0' : '') + seconds + ' s';
    return Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min';
  }

  function showProgress() {
    if (!progress) return;
    var active = TERMINAL.indexOf(current.state) === -1;
    progress.hidden = !active;
    if (!active) return;
    var status = current.status || '';
    progressLabel.textContent = status || (current.state === 'queued' ? 'Waiting for a worker' : 'Working');
    var fraction = /(\d+)\s*\/\s*(\d+)/.exec(status);
    var done = fraction ? Number(fraction[1]) : 0;
    var of = fraction ? Number(fraction[2]) : 0;
    if (of > 0 && done <= of) {
      bar.max = of;
      bar.value = done;
    } else {
      bar.removeAttribute('value'); // indeterminate
    }
    tick();
  }

  function tick() {
    if (!progress || progress.hidden) return;
    var since = current.state === 'running' && startedAt ? startedAt : createdAt;
    if (since === null) { elapsed.textContent = ''; return; }
    elapsed.textContent = (current.state === 'queued' ? 'queued for ' : 'running for ') + formatSeconds((Date.now() - since) / 1000);
  }
  setInterval(tick, 1000);

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
    stateEl.className = 'badge state-' + state.state;
    current = { state: state.state, status: state.status || '' };
    if (state.startedAt) startedAt = Date.parse(state.startedAt);
    showProgress();
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
  // Lines come in batches, each batch in seq order and already stored.
  socket.on('log-lines', function (lines) { lines.forEach(function (line) { if (line.runId === runId) appendLine(line); }); });
  socket.on('run', function (state) { if (state.runId === runId) showState(state); });
  // The run was unshared from this user: the server has taken the socket out of its room.
  socket.on('run-access', function (access) {
    if (access.runId === runId && !access.ok) { indicator.textContent = access.error || 'not live'; socket.disconnect(); }
  });
  if (follow && follow.checked) logBox.scrollTop = logBox.scrollHeight;
  showProgress();
})();
