/**
 * The shift between two frames of the same field, for measuring the same sky positions in every frame when there is
 * no WCS (DESIGN.md, "Photometry"): choose stars on the first frame, find each later frame's shift against it, and
 * add the shift to the positions.
 *
 * Cross-correlation rather than star matching, because on shallow frames few stars stand out and the brightest peaks
 * are cosmic rays: each frame has its mesh background subtracted, is scaled to its noise, clipped (so cosmic rays
 * and saturated stars do not dominate) and smoothed with a Gaussian (so hot pixels, which stay put from frame to
 * frame, weigh little against stars and diffuse light). The correlation is taken over the brightest pixels of the
 * smoothed reference, first on 4×4-binned frames over the whole search range, then at full resolution around the
 * best coarse shift; the peak is interpolated with a parabola through the logarithms and then refined by least
 * squares (Lucas–Kanade) to a few hundredths of a pixel.
 */
import { backgroundMap } from './background';
import { assertImage, PhotometryError, type PixelImage } from './types';

export interface FrameShiftOptions {
  /** Largest shift searched, pixels, in x and in y. Default 50. */
  maxShift?: number;
  /** Gaussian smoothing sigma, pixels. Default 2. */
  smoothing?: number;
  /** Pixels of the reference used (the brightest after smoothing). Default 40000. */
  samples?: number;
}

export interface FrameShift {
  /** A feature at (x, y) on the reference lies at (x + dx, y + dy) on the image. */
  dx: number;
  dy: number;
  /** Normalised correlation at the peak (1: identical up to the shift and noise-free). */
  correlation: number;
}

/** Background-subtracted, noise-scaled, clipped and smoothed copy of an image (0 for blank pixels). */
function prepare(image: PixelImage, sigma: number): Float32Array {
  const { width, height, data } = image;
  const background = backgroundMap(image);
  const scale = background.stdDev > 0 ? 1 / background.stdDev : 1;
  const raw = new Float32Array(width * height);
  const levels = new Float32Array(width);
  for (let y = 1; y <= height; y++) {
    background.fillRow(y, 1, levels);
    const row = (y - 1) * width;
    for (let x = 0; x < width; x++) {
      const v = data[row + x];
      if (v !== v) continue;
      let z = (v - levels[x]) * scale;
      if (z > 20) z = 20;
      else if (z < -5) z = -5;
      raw[row + x] = z;
    }
  }
  const radius = Math.max(1, Math.ceil(2.5 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const tmp = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k;
        if (xx >= 0 && xx < width) s += kernel[k + radius] * raw[row + xx];
      }
      tmp[row + x] = s;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k;
        if (yy >= 0 && yy < height) s += kernel[k + radius] * tmp[yy * width + x];
      }
      raw[y * width + x] = s;
    }
  }
  return raw;
}

function bin(values: Float32Array, width: number, height: number, factor: number) {
  const bw = Math.floor(width / factor);
  const bh = Math.floor(height / factor);
  const out = new Float32Array(bw * bh);
  for (let y = 0; y < bh * factor; y++) {
    const row = y * width;
    const brow = ((y / factor) | 0) * bw;
    for (let bx = 0; bx < bw; bx++) {
      let s = 0;
      for (let x = bx * factor, end = x + factor; x < end; x++) s += values[row + x];
      out[brow + bx] += s;
    }
  }
  return { values: out, width: bw, height: bh };
}

/** Indices of the `count` largest values (by a threshold from a sorted sample, then a scan). */
function brightest(values: Float32Array, count: number): Int32Array {
  if (count >= values.length) return Int32Array.from(values.keys());
  const stride = Math.max(1, Math.floor(values.length / 20000));
  const sample: number[] = [];
  for (let k = 0; k < values.length; k += stride) sample.push(values[k]);
  sample.sort((a, b) => b - a);
  const cut = sample[Math.min(sample.length - 1, Math.floor((count / values.length) * sample.length))];
  const out: number[] = [];
  for (let k = 0; k < values.length; k++) if (values[k] >= cut) out.push(k);
  return Int32Array.from(out);
}

/** Correlation of ref[idx] with img shifted by (sx, sy), normalised by the number of overlapping samples. */
function correlate(
  ref: Float32Array,
  img: Float32Array,
  width: number,
  height: number,
  idx: Int32Array,
  sx: number,
  sy: number,
): number {
  let s = 0;
  let n = 0;
  for (let t = 0; t < idx.length; t++) {
    const k = idx[t];
    const y = (k / width) | 0;
    const x = k - y * width;
    const xx = x + sx;
    const yy = y + sy;
    if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
    s += ref[k] * img[yy * width + xx];
    n++;
  }
  return n > idx.length / 4 ? s / n : -Infinity;
}

/** Offset of the peak from the middle sample of three, by a parabola through the logs (or the values). */
function interpolate(minus: number, centre: number, plus: number): number {
  if (!Number.isFinite(minus) || !Number.isFinite(plus)) return 0;
  if (minus > 0 && centre > 0 && plus > 0) {
    const a = Math.log(minus);
    const b = Math.log(centre);
    const c = Math.log(plus);
    const d = a - 2 * b + c;
    if (d < 0) return Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / d));
  }
  const d = minus - 2 * centre + plus;
  return d < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (minus - plus)) / d)) : 0;
}

/** Shift of `image` relative to `reference` (same size), or null when no correlation peak stands out. */
export function frameShift(reference: PixelImage, image: PixelImage, options: FrameShiftOptions = {}): FrameShift | null {
  assertImage(reference);
  assertImage(image);
  const { width, height } = reference;
  if (image.width !== width || image.height !== height) {
    throw new PhotometryError(`Frames differ in size: ${width}×${height} and ${image.width}×${image.height}`);
  }
  const maxShift = Math.max(1, Math.round(options.maxShift ?? 50));
  const sigma = options.smoothing ?? 2;
  const samples = options.samples ?? 40000;
  const ref = prepare(reference, sigma);
  const img = prepare(image, sigma);

  // Coarse: 4×4 bins over the whole range.
  const factor = maxShift >= 8 ? 4 : 1;
  let bx = 0;
  let by = 0;
  if (factor > 1) {
    const r = bin(ref, width, height, factor);
    const i = bin(img, width, height, factor);
    const idx = brightest(r.values, Math.max(100, Math.floor(samples / (factor * factor))));
    const range = Math.ceil(maxShift / factor);
    let best = -Infinity;
    for (let sy = -range; sy <= range; sy++) {
      for (let sx = -range; sx <= range; sx++) {
        const c = correlate(r.values, i.values, r.width, r.height, idx, sx, sy);
        if (c > best) {
          best = c;
          bx = sx * factor;
          by = sy * factor;
        }
      }
    }
    if (!(best > 0)) return null;
  }

  // Fine: full resolution around the coarse answer.
  const idx = brightest(ref, samples);
  const reach = factor > 1 ? factor + 1 : maxShift;
  const side = 2 * reach + 1;
  const grid = new Float64Array(side * side).fill(-Infinity);
  let best = -Infinity;
  let fx = bx;
  let fy = by;
  for (let sy = by - reach; sy <= by + reach; sy++) {
    for (let sx = bx - reach; sx <= bx + reach; sx++) {
      if (Math.abs(sx) > maxShift || Math.abs(sy) > maxShift) continue;
      const c = correlate(ref, img, width, height, idx, sx, sy);
      grid[(sy - by + reach) * side + (sx - bx + reach)] = c;
      if (c > best) {
        best = c;
        fx = sx;
        fy = sy;
      }
    }
  }
  if (!(best > 0)) return null;
  const at = (sx: number, sy: number) => {
    const gx = sx - bx + reach;
    const gy = sy - by + reach;
    if (gx < 0 || gy < 0 || gx >= side || gy >= side) return correlate(ref, img, width, height, idx, sx, sy);
    return grid[gy * side + gx];
  };
  let dx = fx + interpolate(at(fx - 1, fy), best, at(fx + 1, fy));
  let dy = fy + interpolate(at(fx, fy - 1), best, at(fx, fy + 1));
  [dx, dy] = refine(ref, img, width, height, idx, dx, dy);
  if (!Number.isFinite(dx) || !Number.isFinite(dy)) return null;

  // Normalised correlation at the integer peak, over the same samples.
  let rr = 0;
  let ii = 0;
  let ri = 0;
  for (let t = 0; t < idx.length; t++) {
    const k = idx[t];
    const y = (k / width) | 0;
    const x = k - y * width;
    const xx = x + fx;
    const yy = y + fy;
    if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
    const a = ref[k];
    const b = img[yy * width + xx];
    rr += a * a;
    ii += b * b;
    ri += a * b;
  }
  const correlation = rr > 0 && ii > 0 ? ri / Math.sqrt(rr * ii) : 0;
  return { dx, dy, correlation };
}

/**
 * Sub-pixel refinement by least squares (Gauss–Newton, as Lucas–Kanade): find s and a scale a minimising
 * Σ (a·img(p + s) − ref(p))² over the samples, img interpolated bilinearly. A few iterations from the correlation
 * peak; the result stays within a pixel of it.
 */
function refine(
  ref: Float32Array,
  img: Float32Array,
  width: number,
  height: number,
  idx: Int32Array,
  dx: number,
  dy: number,
): [number, number] {
  const startX = dx;
  const startY = dy;
  const sample = (x: number, y: number): number => {
    if (x < 0 || y < 0) return NaN;
    const x0 = x | 0; // floor, for x >= 0
    const y0 = y | 0;
    if (x0 + 1 >= width || y0 + 1 >= height) return NaN;
    const tx = x - x0;
    const ty = y - y0;
    const k = y0 * width + x0;
    return (img[k] * (1 - tx) + img[k + 1] * tx) * (1 - ty) + (img[k + width] * (1 - tx) + img[k + width + 1] * tx) * ty;
  };
  for (let iteration = 0; iteration < 8; iteration++) {
    // Scale first, then one Gauss–Newton step in (dx, dy).
    let ri = 0;
    let ii = 0;
    for (let t = 0; t < idx.length; t++) {
      const k = idx[t];
      const y = (k / width) | 0;
      const v = sample(k - y * width + dx, y + dy);
      if (v !== v) continue;
      ri += ref[k] * v;
      ii += v * v;
    }
    if (!(ii > 0)) break;
    const a = ri / ii;
    let hxx = 0;
    let hxy = 0;
    let hyy = 0;
    let bx = 0;
    let by = 0;
    for (let t = 0; t < idx.length; t++) {
      const k = idx[t];
      const y = (k / width) | 0;
      const x = k - y * width;
      const v = sample(x + dx, y + dy);
      const gx = 0.5 * (sample(x + dx + 1, y + dy) - sample(x + dx - 1, y + dy));
      const gy = 0.5 * (sample(x + dx, y + dy + 1) - sample(x + dx, y + dy - 1));
      if (v !== v || gx !== gx || gy !== gy) continue;
      const r = a * v - ref[k];
      const jx = a * gx;
      const jy = a * gy;
      hxx += jx * jx;
      hxy += jx * jy;
      hyy += jy * jy;
      bx += jx * r;
      by += jy * r;
    }
    const det = hxx * hyy - hxy * hxy;
    if (!(det > 0)) break;
    const stepX = -(hyy * bx - hxy * by) / det;
    const stepY = -(hxx * by - hxy * bx) / det;
    dx += stepX;
    dy += stepY;
    if (Math.abs(dx - startX) > 1 || Math.abs(dy - startY) > 1) return [startX, startY];
    if (Math.abs(stepX) < 1e-4 && Math.abs(stepY) < 1e-4) break;
  }
  return [dx, dy];
}
