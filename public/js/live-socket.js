// The live pages' Socket.IO connection (the run page's log, the target page's runs table). The portal disconnects a
// user's sockets when their sessions end or what they may see narrows (deactivation, a password reset or change,
// leaving a class); socket.io-client does not reconnect by itself after a disconnect from the server, so connect
// again after a short pause that grows while it keeps happening. The page's 'connect' handler then joins its rooms
// again, and the server checks each join as the user is now (a user without a session is refused).
(function () {
  'use strict';
  var SHORTEST = 500;
  var LONGEST = 30000;
  var LASTED = 10000;
  // One connection per page, shared by its scripts (the runs table and the thumbnails of the target page).
  var shared = null;
  window.portalLiveSocket = function () {
    if (shared) return shared;
    var socket = io({ transports: ['websocket', 'polling'] });
    shared = socket;
    var pause = 0;
    var connectedAt = 0;
    var timer = null;
    socket.on('connect', function () { connectedAt = Date.now(); });
    socket.on('disconnect', function (reason) {
      if (reason !== 'io server disconnect' || timer) return;
      // A connection that lasted a while starts again from the shortest pause.
      pause = Date.now() - connectedAt > LASTED ? SHORTEST : Math.min(pause ? pause * 2 : SHORTEST, LONGEST);
      timer = setTimeout(function () { timer = null; socket.connect(); }, pause + Math.floor(Math.random() * 250));
    });
    return socket;
  };
})();
