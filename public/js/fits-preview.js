// Product page: switch the preview's stretch without reloading, and read the pixel value (and RA/Dec when the
// image has a celestial WCS) under the pointer. One request in flight at a time; the latest position wins.
(function () {
  const section = document.getElementById('fits-preview');
  if (!section) return;
  const id = section.dataset.productId;
  const width = Number(section.dataset.width);
  const height = Number(section.dataset.height);
  const image = document.getElementById('preview-image');
  const readout = document.getElementById('pointer-readout');
  const controls = document.getElementById('preview-controls');

  controls.addEventListener('change', () => {
    const params = new URLSearchParams(new FormData(controls));
    image.src = `/data-products/${id}/preview.png?${params}`;
  });
  controls.addEventListener('submit', (event) => event.preventDefault());

  const sexagesimal = (degrees, hours) => {
    const sign = degrees < 0 ? '-' : hours ? '' : '+';
    let value = Math.abs(degrees) / (hours ? 15 : 1);
    const a = Math.floor(value);
    value = (value - a) * 60;
    const b = Math.floor(value);
    const c = (value - b) * 60;
    const pad = (n, w) => String(n).padStart(w, '0');
    return `${sign}${pad(a, 2)}:${pad(b, 2)}:${c.toFixed(hours ? 2 : 1).padStart(hours ? 5 : 4, '0')}`;
  };

  let pending = null;
  let busy = false;
  async function ask() {
    if (busy || !pending) return;
    const { x, y } = pending;
    pending = null;
    busy = true;
    try {
      const response = await fetch(`/data-products/${id}/pixel?x=${x.toFixed(2)}&y=${y.toFixed(2)}`, { headers: { Accept: 'application/json' } });
      if (response.ok) {
        const reading = await response.json();
        const value = reading.value === null ? 'blank' : Number(reading.value.toPrecision(6));
        let text = `x ${Math.round(reading.x)}, y ${Math.round(reading.y)}: ${value}`;
        if (reading.ra !== undefined) {
          text += ` · RA ${sexagesimal(reading.ra, true)} (${reading.ra.toFixed(5)}°), Dec ${sexagesimal(reading.dec, false)} (${reading.dec.toFixed(5)}°)`;
        }
        readout.textContent = text;
      }
    } finally {
      busy = false;
      void ask();
    }
  }

  image.addEventListener('mousemove', (event) => {
    const box = image.getBoundingClientRect();
    // The preview shows FITS row 1 at the bottom; pixel centres are integers, edges at .5.
    const x = 0.5 + ((event.clientX - box.left) / box.width) * width;
    const y = 0.5 + (1 - (event.clientY - box.top) / box.height) * height;
    pending = { x, y };
    void ask();
  });
})();
