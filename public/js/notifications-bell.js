// The header's bell (views/layout.hbs): its unread count follows the user's notifications live. The portal sends
// each new notification, and each time some are marked read (in any tab), to the user's Socket.IO room; after a
// (re)connect the count is read again from the API, so nothing missed meanwhile is lost. With the browser's
// permission (asked for on /notifications), a new one also shows as a browser notification while the tab is hidden.
(function () {
  'use strict';
  var bell = document.getElementById('notification-bell');
  if (!bell) return;
  var count = document.getElementById('notification-count');

  function show(unread) {
    var n = Number(unread) || 0;
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    bell.setAttribute('data-unread', String(n));
    bell.setAttribute('aria-label', n ? 'Notifications: ' + count.textContent + ' unread' : 'Notifications');
  }

  function refresh() {
    if (!window.fetch) return;
    fetch('/api/notifications?unread=true&limit=1', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (page) { if (page) show(page.total); })
      .catch(function () { /* the count stays as it was */ });
  }

  function load(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  var canNotify = 'Notification' in window;
  function browserNotification(notification) {
    if (!canNotify || Notification.permission !== 'granted' || !document.hidden) return;
    var shown = new Notification(notification.title, { body: notification.body || '', tag: 'portal-notification-' + notification.id });
    shown.onclick = function () {
      window.focus();
      window.location.href = notification.link || '/notifications';
    };
  }

  // On /notifications: a button asks for the browser's permission (a browser asks only after a click).
  var ask = document.getElementById('browser-notifications');
  if (ask && canNotify && Notification.permission === 'default') {
    ask.hidden = false;
    ask.addEventListener('click', function () {
      Notification.requestPermission().then(function () { ask.hidden = true; });
    });
  }

  // The page's own live scripts may have loaded Socket.IO already; portalLiveSocket() shares one connection.
  (window.io ? Promise.resolve() : load('/socket.io/socket.io.js'))
    .then(function () { return window.portalLiveSocket ? null : load('/js/live-socket.js'); })
    .then(function () {
      var socket = window.portalLiveSocket();
      socket.on('connect', refresh);
      if (socket.connected) refresh();
      socket.on('notification', function (event) {
        show(event.unreadCount);
        if (event.notification) browserNotification(event.notification);
      });
      socket.on('notifications-read', function (event) { show(event.unreadCount); });
    })
    .catch(function () { /* no live count: the one the page was rendered with stays */ });
})();
