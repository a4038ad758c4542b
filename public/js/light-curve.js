// Draws the target's light curve: one series per filter, error bars, magnitude axis reversed (brighter is up).
(function () {
  'use strict';
  var dataElement = document.getElementById('light-curve-data');
  var canvas = document.getElementById('light-curve');
  if (!dataElement || !canvas || typeof Chart === 'undefined') return;
  var curve = JSON.parse(dataElement.textContent || '{}');
  var MJD_EPOCH_MS = Date.UTC(1858, 10, 17);
  var palette = ['#2f5bd3', '#d3452f', '#1e7a3c', '#8a3fd1', '#c28a00', '#0f8b8d', '#6b6b6b'];

  function toMjd(iso) { return (Date.parse(iso) - MJD_EPOCH_MS) / 86400000; }

  var datasets = Object.keys(curve).sort().map(function (filter, index) {
    var colour = palette[index % palette.length];
    return {
      label: filter,
      data: curve[filter].map(function (p) { return { x: toMjd(p.t), y: p.mag, err: p.err, t: p.t }; }),
      backgroundColor: colour,
      borderColor: colour,
      pointRadius: 3,
    };
  });

  // Chart.js has no error bars of its own: draw a vertical line of ±err through each point.
  var errorBars = {
    id: 'errorBars',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var yScale = chart.scales.y;
      chart.data.datasets.forEach(function (dataset, i) {
        var meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        ctx.save();
        ctx.strokeStyle = dataset.borderColor;
        ctx.lineWidth = 1;
        meta.data.forEach(function (element, j) {
          var point = dataset.data[j];
          if (point.err === null || point.err === undefined) return;
          var top = yScale.getPixelForValue(point.y - point.err);
          var bottom = yScale.getPixelForValue(point.y + point.err);
          ctx.beginPath();
          ctx.moveTo(element.x, top); ctx.lineTo(element.x, bottom);
          ctx.moveTo(element.x - 3, top); ctx.lineTo(element.x + 3, top);
          ctx.moveTo(element.x - 3, bottom); ctx.lineTo(element.x + 3, bottom);
          ctx.stroke();
        });
        ctx.restore();
      });
    },
  };

  window.lightCurveChart = new Chart(canvas, {
    type: 'scatter',
    data: { datasets: datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: {
        // Plain MJD labels (no thousands separator), level, as few as fit.
        x: { title: { display: true, text: 'MJD' }, ticks: { maxRotation: 0, autoSkipPadding: 16, callback: function (value) { return String(Number(Number(value).toFixed(5))); } } },
        // Room above and below the points so their error bars stay inside the plot.
        y: { reverse: true, grace: '15%', title: { display: true, text: 'Magnitude' } },
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (context) {
              var p = context.raw;
              return context.dataset.label + ': ' + p.y + (p.err !== null && p.err !== undefined ? ' ± ' + p.err : '') + ' at ' + p.t;
            },
          },
        },
      },
    },
    plugins: [errorBars],
  });
})();
