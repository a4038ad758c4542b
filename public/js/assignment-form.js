// The due date in the teacher's own time: the field shows local time, and the form sends the browser's offset so
// the server stores the moment meant. Without this script the field is read as UTC (the label says so).
(function () {
  'use strict';
  var form = document.getElementById('assignment-form');
  if (!form) return;
  var due = form.querySelector('input[name=dueAt]');
  var offset = form.querySelector('input[name=timezoneOffset]');
  var zone = document.getElementById('due-zone');
  var pad = function (n) { return String(n).padStart(2, '0'); };
  var utc = due.getAttribute('data-utc');
  if (utc && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(utc)) {
    var date = new Date(utc + 'Z');
    due.value = date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + 'T' + pad(date.getHours()) + ':' + pad(date.getMinutes());
  }
  if (zone) zone.textContent = '(your time, ' + (Intl.DateTimeFormat().resolvedOptions().timeZone || 'local') + ')';
  form.addEventListener('submit', function () {
    var local = new Date(due.value);
    offset.value = String(isNaN(local.getTime()) ? new Date().getTimezoneOffset() : local.getTimezoneOffset());
  });
})();
