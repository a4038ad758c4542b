// The compare plot: every hand-in's light curve on one chart (magnitude axis reversed: brighter is up).
(function () {
  'use strict';
  var canvas = document.getElementById('compare-chart');
  if (!canvas || !window.Chart) return;
  var colours = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
  fetch(canvas.getAttribute('data-source'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var series = data.series || [];
      canvas.setAttribute('data-series', String(series.length));
      if (!series.length) { document.getElementById('compare-empty').hidden = false; return; }
      new window.Chart(canvas, {
        type: 'scatter',
        data: {
          datasets: series.map(function (one, i) {
            return {
              label: one.label,
              data: one.points.map(function (p) { return { x: new Date(p.t).getTime(), y: p.mag }; }),
              borderColor: colours[i % colours.length],
              backgroundColor: colours[i % colours.length],
              showLine: true,
              pointRadius: 3,
            };
          }),
        },
        options: {
          animation: false,
          scales: {
            x: { type: 'linear', title: { display: true, text: 'time' }, ticks: { callback: function (v) { return new Date(v).toISOString().slice(0, 16).replace('T', ' '); } } },
            y: { reverse: true, title: { display: true, text: 'magnitude' } },
          },
        },
      });
    });
})();
