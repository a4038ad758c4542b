// Draws the target's light curve: one series per filter, error bars, magnitude axis reversed (brighter is up).
// The points come from the canvas's data-src (/targets/:id/light-curve.json): per filter, parallel arrays of
// times (ms since 1970), magnitudes and errors, so a target with 10,000 points keeps a small page.
(function () {
  'use strict';
  var canvas = document.getElementById('light-curve');
  var status = document.getElementById('light-curve-status');
  if (!canvas || typeof Chart === 'undefined') return;
  var MJD_EPOCH_MS = Date.UTC(1858, 10, 17);
  var palette = ['#2f5bd3', '#d3452f', '#1e7a3c', '#8a3fd1', '#c28a00', '#0f8b8d', '#6b6b6b'];

  function say(text) { if (status) { status.textContent = text; status.hidden = !text; } }

  fetch(canvas.getAttribute('data-src'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('the server answered ' + response.status);
      return response.json();
    })
    .then(function (curve) {
      draw(curve.series || []);
      say('');
    })
    .catch(function (error) { say('The light curve could not be loaded (' + error.message + ').'); });

  function draw(series) {
    var datasets = series.slice().sort(function (a, b) { return a.filter < b.filter ? -1 : a.filter > b.filter ? 1 : 0; })
      .map(function (s, index) {
        var colour = palette[index % palette.length];
        var data = new Array(s.t.length);
        for (var i = 0; i < s.t.length; i++) {
          data[i] = { x: (s.t[i] - MJD_EPOCH_MS) / 86400000, y: s.mag[i], err: s.err[i], t: s.t[i] };
        }
        return { label: s.filter, data: data, backgroundColor: colour, borderColor: colour, pointRadius: 3 };
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
        // The points are {x, y} already and in time order: Chart.js need not parse or sort 10,000 of them.
        parsing: false,
        normalized: true,
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
                return context.dataset.label + ': ' + p.y + (p.err !== null && p.err !== undefined ? ' ± ' + p.err : '') + ' at ' + new Date(p.t).toISOString();
              },
            },
          },
        },
      },
      plugins: [errorBars],
    });
    // Drawn: the number of points, for anyone waiting on the chart (tests, the next script).
    canvas.setAttribute('data-points', String(datasets.reduce(function (n, d) { return n + d.data.length; }, 0)));
  }
})();
