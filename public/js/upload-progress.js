// The target page's upload form (#upload-form) with a progress bar: the batch is posted by XMLHttpRequest (the same
// multipart form, to the same address with its CSRF query parameter), so the bar can show the bytes sent of the
// total and the time left. Files may also be dropped onto the form. On success the page goes where the form would
// have gone (the server sets the same message); a refusal shows the server's message and the form stays as it is.
// Without this script (or without XMLHttpRequest upload events) the form posts as an ordinary form.
(function () {
  'use strict';
  var form = document.getElementById('upload-form');
  if (!form || !window.FormData || !window.XMLHttpRequest || !('upload' in new XMLHttpRequest())) return;
  var input = form.querySelector('input[type=file][name=files]');
  var button = form.querySelector('button[type=submit]');
  var status = document.getElementById('upload-status');
  var bar = document.getElementById('upload-progress');
  var text = document.getElementById('upload-progress-text');
  var problem = document.getElementById('upload-error');
  if (!input || !button || !status || !bar || !text || !problem) return;
  // Files dropped onto the form when the browser would not put them in the file input.
  var dropped = null;

  var hint = document.createElement('span');
  hint.className = 'drop-hint muted';
  hint.id = 'upload-drop-hint';
  hint.textContent = 'or drop files here';
  input.parentNode.insertBefore(hint, input.nextSibling);
  form.classList.add('drop-target');

  function bytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var unit = 0;
    while (n >= 1024 && unit < units.length - 1) { n /= 1024; unit++; }
    return (unit === 0 ? n : n.toFixed(1)) + ' ' + units[unit];
  }

  function duration(seconds) {
    if (seconds < 1) return 'less than a second';
    if (seconds < 90) return Math.round(seconds) + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    return (seconds / 3600).toFixed(1) + ' h';
  }

  function chosenFiles() {
    return dropped || input.files;
  }

  function showChosen() {
    var files = chosenFiles();
    if (!files || !files.length) { hint.textContent = 'or drop files here'; return; }
    var names = Array.prototype.map.call(files, function (file) { return file.name; });
    hint.textContent = files.length + ' file' + (files.length === 1 ? '' : 's') + ' chosen: ' + names.join(', ');
  }

  function showProblem(message, details) {
    problem.textContent = '';
    var lead = document.createElement('strong');
    lead.textContent = message;
    problem.appendChild(lead);
    if (details && details.length) {
      var list = document.createElement('ul');
      details.forEach(function (detail) {
        var item = document.createElement('li');
        item.textContent = typeof detail === 'string' ? detail : (detail.line ? 'line ' + detail.line + ': ' : '') + (detail.reason || JSON.stringify(detail));
        list.appendChild(item);
      });
      problem.appendChild(list);
    }
    problem.hidden = false;
  }

  // The page the form would have gone to. The same page with another fragment would only scroll, so it is loaded
  // again, and the fragment is put back (and scrolled to) by the new page once it is there, as after the form.
  var FRAGMENT_KEY = 'portal:upload-fragment';
  function follow(url) {
    var target = new URL(url, window.location.href);
    if (target.pathname + target.search !== window.location.pathname + window.location.search) {
      window.location.assign(target.href);
      return;
    }
    try {
      window.sessionStorage.setItem(FRAGMENT_KEY, target.hash);
    } catch (ignored) {
      window.history.replaceState(null, '', target.href);
    }
    // The new page scrolls to the fragment itself: the browser's restoring of the old scroll position would undo it.
    if ('scrollRestoration' in window.history) window.history.scrollRestoration = 'manual';
    window.location.reload();
  }
  (function arrived() {
    var fragment = null;
    try {
      fragment = window.sessionStorage.getItem(FRAGMENT_KEY);
      window.sessionStorage.removeItem(FRAGMENT_KEY);
    } catch (ignored) {
      return;
    }
    if (!fragment) return;
    window.history.replaceState(null, '', window.location.pathname + window.location.search + fragment);
    var anchor = document.getElementById(fragment.slice(1));
    if (anchor) anchor.scrollIntoView();
    if ('scrollRestoration' in window.history) window.history.scrollRestoration = 'auto';
  })();

  input.addEventListener('change', function () {
    dropped = null;
    input.required = true;
    showChosen();
  });

  ['dragenter', 'dragover'].forEach(function (type) {
    form.addEventListener(type, function (event) {
      if (!event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types || [], 'Files') === -1) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
      form.classList.add('dragging');
    });
  });
  form.addEventListener('dragleave', function (event) {
    if (!form.contains(event.relatedTarget)) form.classList.remove('dragging');
  });
  form.addEventListener('drop', function (event) {
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    form.classList.remove('dragging');
    var files = event.dataTransfer.files;
    dropped = null;
    try { input.files = files; } catch (ignored) { /* an older browser: kept aside below */ }
    if (input.files.length !== files.length) {
      dropped = files;
      input.required = false;
    }
    showChosen();
  });

  form.addEventListener('submit', function (event) {
    var files = chosenFiles();
    if (!files || !files.length) return; // the browser's own "choose a file" check (or the server's message)
    event.preventDefault();
    var data = new FormData(form);
    if (dropped) {
      data.delete('files');
      Array.prototype.forEach.call(dropped, function (file) { data.append('files', file, file.name); });
    }
    var count = files.length;
    var label = count + ' file' + (count === 1 ? '' : 's');
    var xhr = new XMLHttpRequest();
    var started = Date.now();
    problem.hidden = true;
    // The message of the page's last upload is about that one, not this.
    document.querySelectorAll('main > .flash').forEach(function (flash) { flash.remove(); });
    status.hidden = false;
    bar.value = 0;
    bar.max = 100;
    text.textContent = 'Uploading ' + label + '…';
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');

    function done() {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }

    xhr.upload.addEventListener('progress', function (progress) {
      if (!progress.lengthComputable || !progress.total) return;
      var percent = Math.min(100, Math.floor((progress.loaded / progress.total) * 100));
      bar.value = percent;
      var line = bytes(progress.loaded) + ' of ' + bytes(progress.total) + ' sent (' + percent + '%)';
      var elapsed = (Date.now() - started) / 1000;
      if (progress.loaded >= progress.total) line += ' · checking and storing ' + label + '…';
      else if (elapsed > 0.5 && progress.loaded > 0) line += ' · about ' + duration(((progress.total - progress.loaded) * elapsed) / progress.loaded) + ' left';
      text.textContent = line;
    });
    xhr.addEventListener('load', function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300) {
        bar.value = 100;
        text.textContent = 'Uploaded ' + label + '.';
        follow((body && body.redirect) || form.getAttribute('action').split('?')[0].replace(/\/data-products$/, '') + '#data');
        return;
      }
      done();
      status.hidden = true;
      var message = body && body.message ? body.message : 'The upload was refused (' + xhr.status + ').';
      var details = body && body.details ? body.details : [];
      if (body && body.errors) Object.keys(body.errors).forEach(function (field) { details = details.concat(body.errors[field]); });
      showProblem(message, details);
    });
    xhr.addEventListener('error', function () {
      done();
      status.hidden = true;
      showProblem('The upload did not reach the portal (the connection broke). Nothing was stored; try again.');
    });
    xhr.addEventListener('abort', function () {
      done();
      status.hidden = true;
      showProblem('The upload was stopped. Nothing was stored.');
    });
    xhr.open('POST', form.getAttribute('action'));
    xhr.setRequestHeader('Accept', 'application/json');
    // Tells the server to set the page's message for the page this script goes to next.
    xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    xhr.send(data);
  });
})();
