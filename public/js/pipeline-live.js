// The live run page: joins the run's room, asks for the log lines after the last one shown (on every
// (re)connect), appends new lines in order without repeats, and updates state and status as they change.
// A long log: the page arrives with its last lines; join-run answers a page at a time and says `hasMore`, so the
// page asks again after its last line until it has caught up, holding the live batches that come meanwhile. While
// following, at most MAX_SHOWN lines stay on the page (the oldest go); "Show earlier lines" puts earlier pages
// back above, and the whole log is a download.
// While the run is queued or running a progress bar shows: determinate when the status says "i/n" (e.g.
// "Measuring frame 3/5"), indeterminate otherwise, with the time elapsed.
(function () {
  'use strict';
  var facts = document.getElementById('run-facts');
  var logBox = document.getElementById('run-log');
  if (!facts || !logBox || typeof io === 'undefined' || !window.portalLiveSocket) return;
  var runId = Number(facts.getAttribute('data-run-id'));
  var lastSeq = Number(facts.getAttribute('data-last-seq')) || 0;
  var earlier = document.getElementById('log-earlier');
  var earlierCount = document.getElementById('log-earlier-count');
  var earlierButton = document.getElementById('log-earlier-button');
  var earlierError = document.getElementById('log-earlier-error');
  var firstSeq = earlier ? Number(earlier.getAttribute('data-first-seq')) || 1 : 1;
  var shown = logBox.querySelectorAll('.log-line').length;
  // A bound that keeps the page quick however long the log; the earlier lines are a click (or the download) away.
  var MAX_SHOWN = 10000;
  var EARLIER_PAGE = 2000;
  // While catching up, live batches wait here (they may be ahead of what the replay has reached).
  var catchingUp = false;
  var held = [];
  var generation = 0;
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

  function lineElement(line) {
    var span = document.createElement('span');
    span.className = 'log-line level-' + line.level;
    span.setAttribute('data-seq', String(line.seq));
    span.textContent = line.text + '\n';
    return span;
  }

  function following() { return follow ? follow.checked : true; }

  var scrollQueued = false;
  // Once per frame at most: setting scrollTop after each line made the browser lay out the log for every line.
  function scrollToEnd() {
    if (!following() || scrollQueued) return;
    scrollQueued = true;
    requestAnimationFrame(function () {
      scrollQueued = false;
      if (following()) logBox.scrollTop = logBox.scrollHeight;
    });
  }

  function showEarlierBar() {
    if (!earlier) return;
    var count = firstSeq - 1;
    earlier.hidden = count <= 0;
    earlier.setAttribute('data-first-seq', String(firstSeq));
    earlierCount.textContent = count.toLocaleString('en-US') + ' earlier line' + (count === 1 ? '' : 's');
  }

  // Only while following: a reader who has scrolled back (follow off) does not see lines vanish above them.
  function trim() {
    if (!following() || shown <= MAX_SHOWN) return;
    while (shown > MAX_SHOWN && logBox.firstElementChild) {
      logBox.removeChild(logBox.firstElementChild);
      shown--;
    }
    var first = logBox.firstElementChild;
    firstSeq = first ? Number(first.getAttribute('data-seq')) : lastSeq + 1;
    showEarlierBar();
  }

  // Appends the lines after the last one shown, in one DOM insertion.
  function appendLines(lines) {
    var fragment = document.createDocumentFragment();
    for (var i = 0; i < lines.length; i++) {
      if (lines[i].seq <= lastSeq) continue; // already shown
      lastSeq = lines[i].seq;
      fragment.appendChild(lineElement(lines[i]));
      shown++;
    }
    if (!fragment.firstChild) return;
    if (!logBox.firstElementChild) firstSeq = Number(fragment.firstChild.getAttribute('data-seq'));
    logBox.appendChild(fragment);
    trim();
    scrollToEnd();
  }

  // Asks for the lines after the last one shown, a page at a time, until the server says there are no more.
  function catchUp(first) {
    var mine = ++generation; // a reconnect starts over; an answer to an older request is dropped
    catchingUp = true;
    socket.emit('join-run', { runId: runId, after: lastSeq }, function (reply) {
      if (mine !== generation) return;
      if (!reply || !reply.ok) {
        catchingUp = false;
        held = [];
        indicator.textContent = reply && reply.error ? reply.error : 'not live';
        return;
      }
      appendLines(reply.lines);
      // The state as of the first page only: later 'run' events are newer than the later pages' copies.
      if (first) showState({ state: reply.state, status: reply.status });
      if (reply.hasMore) {
        indicator.textContent = '● catching up…';
        catchUp(false);
        return;
      }
      catchingUp = false;
      indicator.textContent = '● live';
      var waiting = held;
      held = [];
      // Stored after the last page was read, so they follow on from it.
      appendLines(waiting.sort(function (a, b) { return a.seq - b.seq; }));
    });
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
    // Restarted runs (their worker stopped) say which attempt this is.
    var attempt = document.getElementById('run-attempt');
    if (attempt && state.attempt) attempt.textContent = 'attempt ' + state.attempt + ' of ' + state.maxAttempts;
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

  // Connects again after the server ends the connection (live-socket.js); 'connect' then joins again.
  var socket = window.portalLiveSocket();
  socket.on('connect', function () {
    indicator.textContent = '● live';
    held = [];
    catchUp(true);
  });
  socket.on('disconnect', function () { indicator.textContent = '○ reconnecting…'; });
  // Lines come in batches, each batch in seq order and already stored.
  socket.on('log-lines', function (batch) {
    var lines = batch.filter(function (line) { return line.runId === runId && line.seq > lastSeq; });
    if (!lines.length) return;
    if (catchingUp) { held.push.apply(held, lines); return; }
    // A batch beyond the next line means some were missed (a lost message): fetch them, then these.
    if (lines[0].seq !== lastSeq + 1) { held = lines; catchUp(false); return; }
    appendLines(lines);
  });
  socket.on('run', function (state) { if (state.runId === runId) showState(state); });
  // The run was unshared from this user: the server has taken the socket out of its room.
  socket.on('run-access', function (access) {
    if (access.runId === runId && !access.ok) { indicator.textContent = access.error || 'not live'; socket.disconnect(); }
  });
  if (follow) follow.addEventListener('change', function () { trim(); scrollToEnd(); });

  // Earlier lines, a page at a time, above the first shown; reading back stops following.
  if (earlierButton) earlierButton.addEventListener('click', function () {
    if (earlierButton.disabled || firstSeq <= 1) return;
    earlierButton.disabled = true;
    earlierError.textContent = '';
    if (follow) follow.checked = false;
    fetch('/pipeline/' + runId + '/log?before=' + firstSeq + '&limit=' + EARLIER_PAGE, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body && body.message ? body.message : 'status ' + response.status);
          return body;
        });
      })
      .then(function (page) {
        var fragment = document.createDocumentFragment();
        var lines = page.lines.filter(function (line) { return line.seq < firstSeq; });
        lines.forEach(function (line) { fragment.appendChild(lineElement(line)); });
        var height = logBox.scrollHeight;
        logBox.insertBefore(fragment, logBox.firstChild);
        // Keep the lines the reader was looking at in place.
        logBox.scrollTop += logBox.scrollHeight - height;
        shown += lines.length;
        firstSeq = lines.length ? lines[0].seq : 1;
        if (!page.hasMore) firstSeq = 1;
        showEarlierBar();
      })
      .catch(function (error) { earlierError.textContent = 'Could not load them: ' + error.message; })
      .then(function () { earlierButton.disabled = false; });
  });

  if (follow && follow.checked) logBox.scrollTop = logBox.scrollHeight;
  showProgress();
})();
