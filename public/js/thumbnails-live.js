// Live thumbnails on the target page: a product shown as "preview pending" gets its thumbnail (or its "no preview"
// reason) as soon as the previews worker has settled it, without a reload. The server sends `product-preview` over
// the page's Socket.IO connection (live-socket.js), only to target pages whose user may see that product. On every
// (re)connect the page also asks whether the thumbnails still pending exist by now (GET /api/data-products/:id), in
// case one was made while it was not listening.
(function () {
  'use strict';
  var table = document.getElementById('products-table');
  if (!table || typeof io === 'undefined' || !window.portalLiveSocket || !window.fetch) return;
  var targetId = Number(table.getAttribute('data-target-id'));
  if (!document.querySelector('.preview-pending[data-product-id]')) return;

  function pending(productId) {
    return Array.prototype.slice.call(document.querySelectorAll('.preview-pending[data-product-id="' + productId + '"]'));
  }

  function showImage(productId) {
    pending(productId).forEach(function (placeholder) {
      var link = document.createElement('a');
      link.href = '/data-products/' + productId;
      var image = document.createElement('img');
      image.src = '/data-products/' + productId + '/thumbnail.png';
      image.alt = 'Thumbnail of ' + (placeholder.getAttribute('data-name') || 'the product');
      image.className = 'product-thumb';
      link.appendChild(image);
      placeholder.replaceWith(link);
    });
  }

  function showNoPreview(productId, reason) {
    pending(productId).forEach(function (placeholder) {
      placeholder.classList.remove('preview-pending');
      placeholder.removeAttribute('data-product-id');
      placeholder.title = reason || '';
      placeholder.textContent = 'no preview';
    });
  }

  // What the page missed while it was not listening: the product's facts say whether its thumbnail exists now.
  var CATCH_UP_AT_MOST = 100;
  function catchUp() {
    var ids = [];
    document.querySelectorAll('.preview-pending[data-product-id]').forEach(function (placeholder) {
      var id = placeholder.getAttribute('data-product-id');
      if (ids.indexOf(id) === -1 && ids.length < CATCH_UP_AT_MOST) ids.push(id);
    });
    // A few at a time: a page of many pending frames should not send all its requests at once.
    (function next() {
      var batch = ids.splice(0, 6);
      if (!batch.length) return;
      Promise.all(batch.map(function (id) {
        return fetch('/api/data-products/' + id, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (product) { if (product && product.hasThumbnail) showImage(id); })
          .catch(function () { /* offline for a moment: the event will come */ });
      })).then(next);
    })();
  }

  var socket = window.portalLiveSocket();
  function join() {
    socket.emit('join-target', { targetId: targetId }, function (answer) {
      if (answer && answer.ok) catchUp();
    });
  }
  socket.on('connect', join);
  if (socket.connected) join();
  socket.on('product-preview', function (preview) {
    if (!preview || preview.targetId !== targetId) return;
    if (preview.state === 'made') showImage(preview.productId);
    else showNoPreview(preview.productId, preview.reason);
  });
})();
