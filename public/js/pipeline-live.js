// The live run page: joins the run's room, asks for the log lines after the last one shown (on every
// (re)connect), appends new lines in order without repeats, and updates state and status as they change.
// A long log: the page arrives with its last lines; join-run answers a page at a time and says `hasMore`, so the
// page asks again after its last line until it has caught up, holding the live batches that come meanwhile. While
// following, at most MAX_SHOWN lines stay on the page (the oldest go); "Show earlier lines" puts earlier pages
// back above, and the whole log is a download.
// While the run is queued or running a progress bar shows: determinate when the status says "i/n" (e.g.
// "Measuring frame 3/5"), indeterminate otherwise, with the time elapsed.
// Reading the log as in CI systems: line numbers are permalinks (#L120; a line far back opens a window of the log
// around it, with the live end a click away), a timestamps toggle, search with the matches highlighted (the lines
// shown are searched here, the others by the server), and ANSI colours drawn as classes, never as markup.
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
  // A window of the log away from its end (a permalink far back): live lines wait until the reader comes back.
  var detached = false;
  var later = document.getElementById('log-later');
  var laterButton = document.getElementById('log-later-button');
  var query = '';
  var matches = [];
  var currentMatch = -1;
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

  // ANSI SGR sequences (colours, bold) become classes on spans; every other escape sequence is dropped. The text
  // itself only ever goes into text nodes.
  var ANSI = /\u001b\[([0-9;]*)([A-Za-z])/g;
  function applySgr(style, params) {
    var codes = params === '' ? [0] : params.split(';').map(Number);
    for (var i = 0; i < codes.length; i++) {
      var code = codes[i];
      if (code === 0) { style.bold = style.dim = style.italic = style.underline = false; style.fg = style.bg = null; }
      else if (code === 1) style.bold = true;
      else if (code === 2) style.dim = true;
      else if (code === 3) style.italic = true;
      else if (code === 4) style.underline = true;
      else if (code === 22) style.bold = style.dim = false;
      else if (code === 23) style.italic = false;
      else if (code === 24) style.underline = false;
      else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) style.fg = code;
      else if (code === 39) style.fg = null;
      else if (code >= 40 && code <= 47) style.bg = code;
      else if (code >= 100 && code <= 107) style.bg = code - 60;
      else if (code === 49) style.bg = null;
      else if (code === 38 || code === 48) i += codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0; // 256 and RGB colours: skipped
    }
  }
  function appendStyled(parent, text, style) {
    text = text.replace(/\u001b/g, '');
    if (!text) return;
    var classes = [];
    if (style.bold) classes.push('ansi-bold');
    if (style.dim) classes.push('ansi-dim');
    if (style.italic) classes.push('ansi-italic');
    if (style.underline) classes.push('ansi-underline');
    if (style.fg) classes.push('ansi-fg-' + style.fg);
    if (style.bg) classes.push('ansi-bg-' + style.bg);
    if (!classes.length) { parent.appendChild(document.createTextNode(text)); return; }
    var span = document.createElement('span');
    span.className = classes.join(' ');
    span.textContent = text;
    parent.appendChild(span);
  }
  function renderText(span, text) {
    span.textContent = '';
    if (text.indexOf('\u001b') === -1) { span.textContent = text + '\n'; return; }
    var style = {};
    var last = 0;
    var match;
    ANSI.lastIndex = 0;
    while ((match = ANSI.exec(text))) {
      appendStyled(span, text.slice(last, match.index), style);
      if (match[2] === 'm') applySgr(style, match[1]);
      last = ANSI.lastIndex;
    }
    appendStyled(span, text.slice(last), style);
    span.appendChild(document.createTextNode('\n'));
  }

  function lineElement(line) {
    var span = document.createElement('span');
    span.className = 'log-line level-' + line.level;
    span.id = 'L' + line.seq;
    span.setAttribute('data-seq', String(line.seq));
    span.setAttribute('data-time', String(line.time || '').slice(11, 19));
    renderText(span, line.text);
    if (query) markLine(span);
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
    // Lines caught up through join-run reach the steps' sections too (the socket handler gives them the live ones).
    stepLines(lines);
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
    if (query) showCount();
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
      // The state as of the first page only: later 'run' events are newer than the later pages' copies.
      if (first) showState({ state: reply.state, status: reply.status });
      if (detached) { catchingUp = false; held = []; indicator.textContent = '● live (not shown: you are reading back)'; return; }
      appendLines(reply.lines);
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

  // A workflow run's steps: each with its state, status (a progress bar when it says "i/n"), timing and a log
  // section. A section loads its step's lines when opened (the running step's opens by itself) and then takes the
  // live lines whose seq falls in its step's range (from its first line to the next step's).
  var steps = Array.prototype.map.call(document.querySelectorAll('#run-steps .run-step'), function (el) {
    var details = el.querySelector('[data-role="log-section"]');
    var step = {
      el: el,
      position: Number(el.getAttribute('data-position')),
      first: Number(el.getAttribute('data-first-seq')) || null,
      startedAt: parseShown(el.getAttribute('data-started')),
      state: el.querySelector('[data-role="state"]').textContent.trim(),
      details: details,
      box: el.querySelector('[data-role="log"]'),
      loaded: false,
      loading: null,
      waiting: [],
      seen: {},
      touched: false,
    };
    details.addEventListener('toggle', function () { if (details.open) loadStep(step); });
    details.querySelector('summary').addEventListener('click', function () { step.touched = true; });
    return step;
  });
  function stepEnd(step) {
    var next = steps[steps.indexOf(step) + 1];
    return next && next.first ? next.first - 1 : Infinity;
  }
  // Lines reach a section from its page, the live events and the catch-up, in any order: each goes in once, in
  // its place by seq.
  function addStepLines(step, lines) {
    var end = stepEnd(step);
    lines.forEach(function (line) {
      if (line.seq < step.first || line.seq > end || step.seen[line.seq]) return;
      step.seen[line.seq] = true;
      var span = lineElement(line);
      span.removeAttribute('id');
      var after = step.box.lastElementChild;
      while (after && Number(after.getAttribute('data-seq')) > line.seq) after = after.previousElementSibling;
      step.box.insertBefore(span, after ? after.nextSibling : step.box.firstChild);
    });
  }
  function loadStep(step) {
    if (step.loaded || step.loading || !step.first) return;
    var end = stepEnd(step);
    var limit = Math.min(2000, end === Infinity ? 2000 : end - step.first + 1);
    step.loading = fetchPage('after=' + (step.first - 1) + '&limit=' + limit)
      .then(function (page) {
        step.loaded = true;
        addStepLines(step, page.lines);
        // Live lines that came while the page was on its way.
        addStepLines(step, step.waiting);
      })
      .catch(function () { step.loaded = true; })
      .then(function () { step.loading = null; step.waiting = []; });
  }
  function stepLines(lines) {
    if (!lines.length) return;
    steps.forEach(function (step) {
      if (step.loading) step.waiting.push.apply(step.waiting, lines);
      else if (step.loaded && step.first) addStepLines(step, lines);
    });
  }
  function showStep(event) {
    var step = steps.filter(function (candidate) { return candidate.position === event.position; })[0];
    if (!step) return;
    var el = step.el;
    var badge = el.querySelector('[data-role="state"]');
    badge.textContent = event.state;
    badge.className = 'badge state-' + event.state;
    step.state = event.state;
    el.querySelector('[data-role="status"]').textContent = event.status || '';
    var failure = el.querySelector('[data-role="failure"]');
    failure.textContent = event.failureMessage || '';
    failure.hidden = !event.failureMessage;
    if (event.firstLogSeq && event.firstLogSeq !== step.first) {
      step.first = event.firstLogSeq;
      step.loaded = false;
      step.seen = {};
      step.box.textContent = '';
    }
    if (event.startedAt) step.startedAt = Date.parse(event.startedAt);
    var bar = el.querySelector('[data-role="progress"]');
    bar.hidden = event.state !== 'running';
    var fraction = /(\d+)\s*\/\s*(\d+)/.exec(event.status || '');
    if (fraction && Number(fraction[2]) > 0 && Number(fraction[1]) <= Number(fraction[2])) {
      bar.max = Number(fraction[2]);
      bar.value = Number(fraction[1]);
    } else {
      bar.removeAttribute('value');
    }
    var timing = el.querySelector('[data-role="timing"]');
    if (event.startedAt && event.finishedAt) timing.textContent = ((Date.parse(event.finishedAt) - Date.parse(event.startedAt)) / 1000).toFixed(1) + ' s';
    var outputs = el.querySelector('[data-role="outputs"]');
    if (event.outputCount || event.pointCount) {
      outputs.textContent = (event.outputCount ? event.outputCount + ' product(s)' : '') + (event.pointCount ? ' ' + event.pointCount + ' point(s)' : '');
    }
    // The step that starts running opens its log section, unless the reader has opened or closed it themselves.
    if (event.state === 'running' && !step.touched) {
      steps.forEach(function (other) { if (other !== step && !other.touched && other.state !== 'failed') other.details.open = false; });
      step.details.open = true;
    }
    if (step.details.open) loadStep(step);
  }
  setInterval(function () {
    steps.forEach(function (step) {
      if (step.state !== 'running' || !step.startedAt) return;
      step.el.querySelector('[data-role="timing"]').textContent = 'running for ' + formatSeconds((Date.now() - step.startedAt) / 1000);
    });
  }, 1000);
  steps.forEach(function (step) { if (step.details.open) loadStep(step); });

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
    stepLines(batch.filter(function (line) { return line.runId === runId; }));
    if (detached) return;
    var lines = batch.filter(function (line) { return line.runId === runId && line.seq > lastSeq; });
    if (!lines.length) return;
    if (catchingUp) { held.push.apply(held, lines); return; }
    // A batch beyond the next line means some were missed (a lost message): fetch them, then these.
    if (lines[0].seq !== lastSeq + 1) { held = lines; catchUp(false); return; }
    appendLines(lines);
  });
  socket.on('run', function (state) { if (state.runId === runId) showState(state); });
  socket.on('run-step', function (step) { if (step.runId === runId) showStep(step); });
  // The run was unshared from this user: the server has taken the socket out of its room.
  socket.on('run-access', function (access) {
    if (access.runId === runId && !access.ok) { indicator.textContent = access.error || 'not live'; socket.disconnect(); }
  });
  if (follow) follow.addEventListener('change', function () { trim(); scrollToEnd(); });

  function fetchPage(params) {
    return fetch('/pipeline/' + runId + '/log?' + params, { headers: { Accept: 'application/json' }, credentials: 'same-origin' }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body && body.message ? body.message : 'status ' + response.status);
        return body;
      });
    });
  }

  // Earlier lines (`count`, a page by default) above the first shown; reading back stops following.
  function loadEarlier(count) {
    if (follow) follow.checked = false;
    return fetchPage('before=' + firstSeq + '&limit=' + Math.min(count || EARLIER_PAGE, 5000)).then(function (page) {
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
      if (query) showCount();
    });
  }

  if (earlierButton) earlierButton.addEventListener('click', function () {
    if (earlierButton.disabled || firstSeq <= 1) return;
    earlierButton.disabled = true;
    earlierError.textContent = '';
    loadEarlier(EARLIER_PAGE)
      .catch(function (error) { earlierError.textContent = 'Could not load them: ' + error.message; })
      .then(function () { earlierButton.disabled = false; });
  });

  // A window of the log around `seq`, in place of what is shown: for a line too far back to load everything since.
  function openWindow(seq) {
    return fetchPage('after=' + Math.max(0, seq - 1000) + '&limit=2000').then(function (page) {
      logBox.textContent = '';
      shown = 0;
      lastSeq = Math.max(0, seq - 1000);
      detached = true;
      appendLines(page.lines);
      firstSeq = page.lines.length ? page.lines[0].seq : 1;
      showEarlierBar();
      setDetached(page.hasMore);
    });
  }

  function setDetached(value) {
    detached = value;
    if (later) later.hidden = !value;
    if (!value) catchUp(false); // back at the end: live again, from the last line shown
  }

  if (laterButton) laterButton.addEventListener('click', function () {
    laterButton.disabled = true;
    fetchPage('after=' + lastSeq + '&limit=2000')
      .then(function (page) {
        var wasDetached = detached;
        detached = false; // appendLines adds after lastSeq
        appendLines(page.lines);
        detached = wasDetached;
        setDetached(page.hasMore);
      })
      .catch(function (error) { earlierError.textContent = 'Could not load them: ' + error.message; })
      .then(function () { laterButton.disabled = false; });
  });

  // Permalinks: #L<seq>. A line shown is scrolled to; one a few pages back is loaded with them; one further back
  // opens a window around it.
  function highlightLine(span) {
    Array.prototype.forEach.call(logBox.querySelectorAll('.log-target'), function (old) { old.classList.remove('log-target'); });
    span.classList.add('log-target');
    span.scrollIntoView({ block: 'center' });
  }
  function jumpTo(seq) {
    if (follow) follow.checked = false;
    var span = document.getElementById('L' + seq);
    if (span) { highlightLine(span); return Promise.resolve(true); }
    if (seq < 1) return Promise.resolve(false);
    var loading = seq < firstSeq && firstSeq - seq <= 4000 ? loadEarlier(firstSeq - seq + 100) : openWindow(seq);
    return loading.then(function () {
      var found = document.getElementById('L' + seq);
      if (found) highlightLine(found);
      return Boolean(found);
    });
  }
  function hashSeq() {
    var match = /^#L(\d+)$/.exec(window.location.hash);
    return match ? Number(match[1]) : null;
  }
  window.addEventListener('hashchange', function () { var seq = hashSeq(); if (seq) jumpTo(seq); });
  // A click on a line's number makes the address that line's permalink.
  logBox.addEventListener('click', function (event) {
    var span = event.target && event.target.closest ? event.target.closest('.log-line') : null;
    if (!span) return;
    // The number is the line's ::before, at the start of its first box.
    var before = window.getComputedStyle(span, '::before');
    var gutter = (parseFloat(before.width) || parseFloat(before.minWidth) || 0) + (parseFloat(before.marginRight) || 0);
    var first = span.getClientRects()[0];
    if (!first || event.clientX - first.left > gutter || event.clientY > first.bottom) return;
    history.replaceState(null, '', '#L' + span.getAttribute('data-seq'));
    if (follow) follow.checked = false;
    highlightLine(span);
  });

  // Timestamps: shown beside the line numbers when asked, remembered for the next run page.
  var times = document.getElementById('log-times');
  function showTimes() { logBox.classList.toggle('show-times', Boolean(times && times.checked)); }
  if (times) {
    try { times.checked = window.localStorage.getItem('portal.logTimes') === 'on'; } catch (e) { /* private mode */ }
    times.addEventListener('change', function () {
      try { window.localStorage.setItem('portal.logTimes', times.checked ? 'on' : 'off'); } catch (e) { /* private mode */ }
      showTimes();
    });
    showTimes();
  }

  // Search: the lines shown are marked here; the server counts the matches among those not shown.
  var searchForm = document.getElementById('log-search-form');
  var searchInput = document.getElementById('log-search');
  var searchCount = document.getElementById('log-search-count');
  var elsewhere = document.getElementById('log-search-elsewhere');
  function unmark() {
    Array.prototype.forEach.call(logBox.querySelectorAll('mark.log-match'), function (mark) {
      var parent = mark.parentNode;
      parent.replaceChild(document.createTextNode(mark.textContent), mark);
      parent.normalize();
    });
    matches = [];
    currentMatch = -1;
  }
  function markLine(span) {
    var needle = query.toLowerCase();
    var walker = document.createTreeWalker(span, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var text = node.nodeValue;
      var lower = text.toLowerCase();
      var at = lower.indexOf(needle);
      if (at === -1 || lower.length !== text.length) return;
      var fragment = document.createDocumentFragment();
      var from = 0;
      while (at !== -1) {
        if (at > from) fragment.appendChild(document.createTextNode(text.slice(from, at)));
        var mark = document.createElement('mark');
        mark.className = 'log-match';
        mark.textContent = text.slice(at, at + needle.length);
        fragment.appendChild(mark);
        from = at + needle.length;
        at = lower.indexOf(needle, from);
      }
      if (from < text.length) fragment.appendChild(document.createTextNode(text.slice(from)));
      node.parentNode.replaceChild(fragment, node);
    });
  }
  function showCount() {
    matches = Array.prototype.slice.call(logBox.querySelectorAll('mark.log-match'));
    var current = matches.indexOf(logBox.querySelector('mark.log-match.current'));
    currentMatch = current;
    searchCount.textContent = query ? (matches.length ? (current >= 0 ? current + 1 + ' of ' : '') + matches.length + ' shown' : 'no match shown') : '';
  }
  function goToMatch(step) {
    if (!matches.length) return;
    if (follow) follow.checked = false;
    if (currentMatch >= 0 && matches[currentMatch]) matches[currentMatch].classList.remove('current');
    currentMatch = (currentMatch + step + matches.length) % matches.length;
    matches[currentMatch].classList.add('current');
    matches[currentMatch].scrollIntoView({ block: 'center' });
    showCount();
  }
  var searchSeq = 0;
  function searchElsewhere() {
    var mine = ++searchSeq;
    elsewhere.hidden = true;
    elsewhere.textContent = '';
    if (!query) return;
    fetch('/pipeline/' + runId + '/log/search?q=' + encodeURIComponent(query), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) {
        if (!found || mine !== searchSeq) return;
        var outside = found.lines.filter(function (line) { return !document.getElementById('L' + line.seq); });
        var more = found.total - (found.lines.length - outside.length);
        if (more <= 0 || !outside.length) return;
        elsewhere.hidden = false;
        elsewhere.appendChild(document.createTextNode(more.toLocaleString('en-US') + ' in lines not shown here; first: '));
        var link = document.createElement('a');
        link.href = '#L' + outside[0].seq;
        link.id = 'log-search-first-elsewhere';
        link.textContent = 'line ' + outside[0].seq;
        elsewhere.appendChild(link);
      })
      .catch(function () { /* the count stays as shown */ });
  }
  var searchTimer = null;
  function runSearch() {
    unmark();
    query = searchInput.value;
    if (query) Array.prototype.forEach.call(logBox.querySelectorAll('.log-line'), markLine);
    showCount();
    if (matches.length) goToMatch(1);
    searchElsewhere();
  }
  if (searchInput) {
    searchInput.addEventListener('input', function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(runSearch, 250);
    });
    searchForm.addEventListener('submit', function (event) {
      event.preventDefault();
      if (searchInput.value !== query) { clearTimeout(searchTimer); runSearch(); } else goToMatch(1);
    });
    document.getElementById('log-search-prev').addEventListener('click', function () { goToMatch(-1); });
  }

  // Server-rendered lines with ANSI codes are drawn like live ones.
  Array.prototype.forEach.call(logBox.querySelectorAll('.log-line'), function (span) {
    var text = span.textContent;
    if (text.indexOf('\u001b') !== -1) renderText(span, text.replace(/\n$/, ''));
  });
  var initial = hashSeq();
  if (initial) jumpTo(initial);

  if (follow && follow.checked && !initial) logBox.scrollTop = logBox.scrollHeight;
  showProgress();
})();
