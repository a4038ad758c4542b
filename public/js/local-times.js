// Times the server writes in UTC (<time datetime="...">) shown in the reader's own time zone.
(function () {
  'use strict';
  function localise(root) {
    var times = (root || document).querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute('datetime'));
      if (!isNaN(date.getTime())) times[i].textContent = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    }
  }
  window.portalLocalTimes = localise;
  localise(document);
})();
