// Draws the target's light curve: one series per filter (and facility: the survey or telescope) from one source (a
// run, an uploaded file, an API batch) of one student, with error bars and the magnitude axis reversed (brighter is
// up). A non-detection (a limit without a magnitude) is drawn as an upper limit: a downward triangle at the limit,
// in its series' colour. The points come from the canvas's data-src (/targets/:id/light-curve.json?view=mine|class|
// everyone): per series, parallel arrays of times (ms since 1970), magnitudes (null for a non-detection), errors and
// limits, so a target with 10,000 points keeps a small page. The view switch refetches; the legend hides and shows
// series (Chart.js's own legend click), and the CSV links (the portal's layout and TOM Toolkit's) follow what is shown.
(function () {
  'use strict';
  var canvas = document.getElementById('light-curve');
  var status = document.getElementById('light-curve-status');
  var empty = document.getElementById('light-curve-empty');
  var csvLink = document.getElementById('light-curve-csv');
  var tomLink = document.getElementById('light-curve-csv-tom');
  var seriesBox = document.getElementById('light-curve-series');
  var switcher = document.getElementById('light-curve-views');
  if (!canvas || typeof Chart === 'undefined') return;
  var VIEWS = ['mine', 'class', 'everyone'];
  var MJD_EPOCH_MS = Date.UTC(1858, 10, 17);
  // A colour per source (and facility, when a file names several), a point shape per filter: one student's V and R
  // from one run share a colour, a file's ZTF and ATLAS points do not. Triangles are kept for upper limits
  // (LIMIT_SHAPE turned point down), so no filter is drawn as one.
  var palette = ['#2f5bd3', '#d3452f', '#1e7a3c', '#8a3fd1', '#c28a00', '#0f8b8d', '#6b6b6b', '#b0357a', '#5a7d00', '#00639e'];
  var shapes = ['circle', 'rect', 'rectRot', 'star', 'crossRot', 'rectRounded', 'cross'];
  var LIMIT_SHAPE = 'triangle';
  var LIMIT_ROTATION = 180;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var requested = new URLSearchParams(window.location.search).get('curve');
  var view = VIEWS.indexOf(requested) === -1 ? 'mine' : requested;
  var chart = null;
  var shown = [];
  var loading = 0;

  function say(text) { if (status) { status.textContent = text; status.hidden = !text; } }

  function markView() {
    if (!switcher) return;
    switcher.querySelectorAll('[data-view]').forEach(function (link) {
      if (link.getAttribute('data-view') === view) link.setAttribute('aria-current', 'true');
      else link.removeAttribute('aria-current');
    });
  }

  // The same CSV in TOM Toolkit's columns (?format=tom), beside the portal's link when the page has none of its own.
  if (csvLink && !tomLink) {
    tomLink = document.createElement('a');
    tomLink.id = 'light-curve-csv-tom';
    tomLink.setAttribute('download', '');
    tomLink.textContent = 'in TOM Toolkit\u2019s format';
    csvLink.insertAdjacentElement('afterend', tomLink);
    csvLink.insertAdjacentText('afterend', ' \u00b7 ');
  }

  // The CSV of what is shown: this view, and only the series left visible in the legend when some are hidden.
  function updateCsvLink() {
    if (!csvLink) return;
    var url = canvas.getAttribute('data-csv') + '?view=' + encodeURIComponent(view);
    if (chart) {
      var visible = shown.filter(function (s, i) { return chart.isDatasetVisible(i); });
      if (visible.length !== shown.length) url += '&series=' + visible.map(function (s) { return s.key; }).join(',');
    }
    csvLink.setAttribute('href', url);
    if (tomLink) tomLink.setAttribute('href', url + '&format=tom');
  }

  function limitCount(series) {
    var n = 0;
    if (!series.lim) return 0;
    for (var i = 0; i < series.lim.length; i++) if (series.mag[i] === null && typeof series.lim[i] === 'number') n++;
    return n;
  }

  function load() {
    var ticket = ++loading;
    markView();
    updateCsvLink();
    say('Loading the light curve…');
    var src = canvas.getAttribute('data-src') + '?view=' + encodeURIComponent(view);
    fetch(src, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('the server answered ' + response.status);
        return response.json();
      })
      .then(function (curve) {
        if (ticket !== loading) return; // a later switch of view won
        draw(curve.series || []);
        say('');
      })
      .catch(function (error) { if (ticket === loading) say('The light curve could not be loaded (' + error.message + ').'); });
  }

  if (switcher) {
    switcher.addEventListener('click', function (event) {
      var link = event.target.closest('[data-view]');
      if (!link) return;
      event.preventDefault();
      view = link.getAttribute('data-view');
      // The address keeps the view, so a reload (or coming back after deleting a series) shows the same.
      var params = new URLSearchParams(window.location.search);
      params.set('curve', view);
      window.history.replaceState(null, '', window.location.pathname + '?' + params.toString() + window.location.hash);
      load();
    });
  }

  function styleOf(series) {
    var sources = [];
    var filters = [];
    var sourceOf = function (s) { return s.owner + '\n' + s.source + '\n' + (s.facility || ''); };
    series.forEach(function (s) {
      if (sources.indexOf(sourceOf(s)) === -1) sources.push(sourceOf(s));
      if (filters.indexOf(s.filter) === -1) filters.push(s.filter);
    });
    return function (s) {
      return {
        colour: palette[sources.indexOf(sourceOf(s)) % palette.length],
        shape: shapes[filters.indexOf(s.filter) % shapes.length],
      };
    };
  }

  function listSeries(series, style) {
    if (!seriesBox) return;
    var list = seriesBox.querySelector('ul');
    list.textContent = '';
    series.forEach(function (s) {
      var item = document.createElement('li');
      var swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.backgroundColor = style(s).colour;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.label + ' '));
      var facts = document.createElement('span');
      facts.className = 'muted';
      var limits = limitCount(s);
      facts.textContent = '(' + s.points + ' point' + (s.points === 1 ? '' : 's') +
        (limits ? ', ' + limits + ' upper limit' + (limits === 1 ? '' : 's') : '') + ', ' + s.visibility + ')';
      item.appendChild(facts);
      if (s.canChange) item.appendChild(deleteForm(s));
      list.appendChild(item);
    });
    seriesBox.hidden = series.length === 0;
  }

  // A POST form per series the viewer may delete (its owner, their teacher, an admin), confirmed first.
  function deleteForm(series) {
    var form = document.createElement('form');
    form.method = 'post';
    form.action = canvas.getAttribute('data-delete');
    form.className = 'inline delete-series';
    [['_csrf', csrfMeta ? csrfMeta.getAttribute('content') : ''], ['key', series.key], ['curve', view]].forEach(function (pair) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    var button = document.createElement('button');
    button.type = 'submit';
    button.className = 'link danger-link';
    button.textContent = 'Delete series';
    button.setAttribute('aria-label', 'Delete series ' + series.label);
    form.appendChild(button);
    form.addEventListener('submit', function (event) {
      if (!window.confirm('Delete the series "' + series.label + '" (' + series.points + ' points)? This cannot be undone.')) event.preventDefault();
    });
    return form;
  }

  // Chart.js has no error bars of its own: a vertical line of ±err through each point, clipped to the plot.
  var errorBars = {
    id: 'errorBars',
    afterDatasetsDraw: function (c) {
      var ctx = c.ctx;
      var area = c.chartArea;
      var yScale = c.scales.y;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      c.data.datasets.forEach(function (dataset, i) {
        var meta = c.getDatasetMeta(i);
        if (meta.hidden || !c.isDatasetVisible(i)) return;
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
      });
      ctx.restore();
    },
  };

  // The magnitude axis spans every shown point with its error bar, so no bar runs off the plot; recomputed when
  // the legend hides or shows a series.
  function spanErrors(scale) {
    var c = scale.chart;
    var low = Infinity;
    var high = -Infinity;
    c.data.datasets.forEach(function (dataset, i) {
      if (!c.isDatasetVisible(i)) return;
      dataset.data.forEach(function (p) {
        var e = typeof p.err === 'number' ? p.err : 0;
        if (p.y - e < low) low = p.y - e;
        if (p.y + e > high) high = p.y + e;
      });
    });
    if (low <= high) {
      scale.min = Math.min(scale.min, low);
      scale.max = Math.max(scale.max, high);
    }
  }

  function draw(series) {
    shown = series;
    var style = styleOf(series);
    var datasets = series.map(function (s) {
      var look = style(s);
      var data = [];
      var pointStyles = [];
      var rotations = [];
      var limits = 0;
      for (var i = 0; i < s.t.length; i++) {
        var mag = s.mag[i];
        var lim = s.lim ? s.lim[i] : null;
        // A non-detection: drawn at its limit, pointing down (fainter than this). A detection that also reports a
        // limit is drawn as the detection; its limit is in the tooltip.
        var upperLimit = typeof mag !== 'number' && typeof lim === 'number';
        if (typeof mag !== 'number' && !upperLimit) continue;
        if (upperLimit) limits++;
        data.push({ x: (s.t[i] - MJD_EPOCH_MS) / 86400000, y: upperLimit ? lim : mag, err: upperLimit ? null : s.err[i], t: s.t[i], lim: typeof lim === 'number' ? lim : null, upperLimit: upperLimit });
        pointStyles.push(upperLimit ? LIMIT_SHAPE : look.shape);
        rotations.push(upperLimit ? LIMIT_ROTATION : 0);
      }
      return {
        label: s.label,
        data: data,
        backgroundColor: look.colour,
        borderColor: look.colour,
        // Per point only where the series has upper limits; the legend keeps the filter's shape (seriesShape).
        pointStyle: limits ? pointStyles : look.shape,
        rotation: limits ? rotations : 0,
        seriesShape: look.shape,
        pointRadius: 4,
      };
    });
    if (chart) chart.destroy();
    chart = null;
    canvas.parentNode.hidden = series.length === 0;
    if (empty) empty.hidden = series.length !== 0;
    listSeries(series, style);
    if (series.length) {
      chart = new Chart(canvas, {
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
            // Brighter is up; room beyond the error bars.
            y: { reverse: true, grace: '5%', title: { display: true, text: 'Magnitude' }, afterDataLimits: spanErrors },
          },
          plugins: {
            legend: {
              labels: {
                usePointStyle: true,
                // The series' own shape, whatever its first point is (an upper limit would lend its triangle).
                generateLabels: function (c) {
                  var items = Chart.defaults.plugins.legend.labels.generateLabels(c);
                  items.forEach(function (item) {
                    var dataset = c.data.datasets[item.datasetIndex];
                    if (dataset && dataset.seriesShape) { item.pointStyle = dataset.seriesShape; item.rotation = 0; }
                  });
                  return items;
                },
              },
              // Chart.js's own click (hide/show the series), then the CSV link follows.
              onClick: function (event, item, legend) {
                Chart.defaults.plugins.legend.onClick.call(this, event, item, legend);
                updateCsvLink();
              },
            },
            tooltip: {
              callbacks: {
                label: function (context) {
                  var p = context.raw;
                  var at = ' at ' + new Date(p.t).toISOString();
                  if (p.upperLimit) return context.dataset.label + ': not detected, fainter than ' + p.y + ' (upper limit)' + at;
                  return context.dataset.label + ': ' + p.y + (p.err !== null && p.err !== undefined ? ' ± ' + p.err : '') + (p.lim !== null ? ' (limit ' + p.lim + ')' : '') + at;
                },
              },
            },
          },
        },
        plugins: [errorBars],
      });
    }
    window.lightCurveChart = chart;
    updateCsvLink();
    // Drawn: the number of points and the view, for anyone waiting on the chart (tests, the next script).
    canvas.setAttribute('data-view', view);
    canvas.setAttribute('data-points', String(datasets.reduce(function (n, d) { return n + d.data.length; }, 0)));
  }

  load();
})();
