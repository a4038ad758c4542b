/**
 * Finding stars: subtract a mesh background, smooth with a small Gaussian, take local maxima above
 * `threshold` × the smoothed noise, and keep only those with a star-like footprint. The last step matters on shallow
 * frames, where the brightest single pixels are cosmic rays and hot pixels, not stars (see DESIGN.md, "Photometry"):
 *
 * - sharpness = brightest raw pixel / smoothed height: a single hot pixel keeps only ~16 % of its height through the
 *   smoothing (sharpness ≈ 6), a star with FWHM ≥ 1.5 px keeps most of it (sharpness ≲ 3); default limit 4;
 * - footprint: at least `minPixels` (default 6) of the 3×3 pixels around the brightest pixel above a fifth of its
 *   height. A star with FWHM ≳ 2 px has 6 or more wherever it is centred; a hot pixel, a one- to four-pixel cosmic
 *   ray track or a 2×2 blob has at most 4 (plus noise).
 * - the local sky: the median of a ring around the peak (radius fluxRadius + 2 to fluxRadius + 6) must leave the
 *   smoothed peak above the threshold too, so bumps in unresolved light (a cluster's core, a galaxy) that the mesh
 *   background does not follow are not taken for stars.
 *
 * Positions are refined by a parabola through the smoothed peak (use `centroid` for better ones). `peak` is the
 * brightest raw pixel value of the source as in the image (background included), so it compares directly with a
 * saturation level; `flux` is the sum within `fluxRadius` less the local sky, for ranking, not photometry.
 * Detection finds stars; it does not tell a star from the same star in the next frame, nor a variable star from a
 * constant one: pick stars by position, not by rank (DESIGN.md).
 */
import { backgroundMap, type BackgroundMap, type BackgroundOptions, type PixelRect } from './background';
import { assertImage, PhotometryError, type PixelImage } from './types';

export interface Source {
  x: number;
  y: number;
  /** Brightest raw pixel value (background included). */
  peak: number;
  /** Sum of the pixels whose centres lie within `fluxRadius` of the peak pixel, less the local sky. */
  flux: number;
  /** Local sky level around the source (median of a ring), per pixel. */
  background: number;
  /** Smoothed height above the background in units of the smoothed noise. */
  significance: number;
  /** Brightest raw pixel above background over the smoothed height (see above). */
  sharpness: number;
}

export interface SourceFindingOptions {
  /** Detection threshold in standard deviations of the smoothed background noise. Default 5. */
  threshold?: number;
  /** Gaussian smoothing sigma, pixels. Default 1. */
  smoothing?: number;
  /** Reject sources whose sharpness (see above) exceeds this. Default 4. */
  maxSharpness?: number;
  /** Pixels of the 3×3 around the brightest pixel that must exceed `footprintLevel` × its height. Default 6. */
  minPixels?: number;
  /** Default 0.2. */
  footprintLevel?: number;
  /** Radius for the ranking flux, pixels. Default 4. */
  fluxRadius?: number;
  /** Mesh background options. */
  background?: BackgroundOptions;
}

export interface DetectSourcesOptions extends SourceFindingOptions {
  /** At most this many sources, the highest flux first. Default 50. */
  maxSources?: number;
  /** Ignore peaks closer than this to the image edge, pixels. Default 10. */
  border?: number;
  /** Of two sources closer than this, keep the one with more flux. Default 5. */
  minSeparation?: number;
  /** Search only this rectangle (FITS pixels, inclusive; clipped to the border). Default: the whole image. */
  region?: PixelRect;
}

export interface FindBrightestOptions extends SourceFindingOptions {
  /** Centre of the search, FITS pixels. Default: the centre of the image. */
  x?: number;
  y?: number;
  /** Search radius, pixels. Default: a quarter of the image's smaller side. */
  radius?: number;
}

interface Candidate extends Source {
  height: number;
}

function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(2 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  return kernel;
}

/**
 * Candidate sources with peaks inside `rect` (and, if given, within `within` of a point), each passing the
 * threshold and the star-likeness tests, at most `limit` of them (the highest smoothed peaks). Reads only `rect`
 * plus a margin for the smoothing and the local sky.
 */
function findCandidates(
  image: PixelImage,
  rect: PixelRect,
  background: BackgroundMap,
  options: SourceFindingOptions,
  limit: number,
  within?: { x: number; y: number; radius: number },
): Candidate[] {
  const { width, height, data } = image;
  const threshold = options.threshold ?? 5;
  const sigma = options.smoothing ?? 1;
  const maxSharpness = options.maxSharpness ?? 4;
  const minPixels = options.minPixels ?? 6;
  const footprintLevel = options.footprintLevel ?? 0.2;
  const fluxRadius = options.fluxRadius ?? 4;
  if (!(sigma > 0)) throw new PhotometryError(`Smoothing sigma must be positive, got ${sigma}`);
  if (!(fluxRadius > 0)) throw new PhotometryError(`Flux radius must be positive, got ${fluxRadius}`);

  const kernel = gaussianKernel(sigma);
  const kr = (kernel.length - 1) / 2;
  let kernelSq = 0;
  for (const k of kernel) kernelSq += k * k;
  // White noise σ through the separable kernel k⊗k: σ·√(Σ(k⊗k)²) = σ·Σk².
  // A noiseless image (synthetic, or a model) still has stars: give it a tiny noise floor.
  const smoothedNoise = Math.max(background.stdDev * kernelSq, 1e-9 * Math.max(1, Math.abs(background.level)));
  const cut = threshold * smoothedNoise;
  if (!(cut > 0)) return [];

  // Heights above the mesh background on the rect plus a margin of 1 + kr (0 for blank or off-image pixels).
  const m = 1 + kr;
  const pw = rect.x1 - rect.x0 + 1 + 2 * m;
  const ph = rect.y1 - rect.y0 + 1 + 2 * m;
  const px0 = rect.x0 - m;
  const py0 = rect.y0 - m;
  const raw = new Float32Array(pw * ph);
  const levels = new Float32Array(pw);
  for (let j = 0; j < ph; j++) {
    const y = py0 + j;
    if (y < 1 || y > height) continue;
    background.fillRow(y, px0, levels);
    const row = (y - 1) * width - 1;
    const base = j * pw;
    const ilo = Math.max(0, 1 - px0);
    const ihi = Math.min(pw - 1, width - px0);
    for (let i = ilo; i <= ihi; i++) {
      const v = data[row + px0 + i];
      if (v === v) raw[base + i] = v - levels[i]; // v === v: not NaN
    }
  }
  // Separable smoothing: rows, then columns where the full kernel fits. The row-smoothed rows live in a ring of
  // 2kr + 1 rows rather than a third full-size array (64 MiB for a 4096² frame).
  const ringRows = 2 * kr + 1;
  const ring = new Float32Array(ringRows * pw);
  const smooth = new Float32Array(pw * ph);
  for (let j = 0; j < ph; j++) {
    const base = j * pw;
    const slot = (j % ringRows) * pw;
    for (let i = kr; i < pw - kr; i++) {
      let s = 0;
      for (let k = -kr; k <= kr; k++) s += kernel[k + kr] * raw[base + i + k];
      ring[slot + i] = s;
    }
    // Rows j - 2kr .. j are in the ring: the column pass can finish row j - kr.
    const out = j - kr;
    if (out < kr) continue;
    for (let i = kr; i < pw - kr; i++) {
      let s = 0;
      for (let k = -kr; k <= kr; k++) s += kernel[k + kr] * ring[((out + k) % ringRows) * pw + i];
      smooth[out * pw + i] = s;
    }
  }

  // Local maxima that look like stars.
  const peaks: { k: number; i: number; j: number; s: number; sharpness: number; tx: number; ty: number }[] = [];
  for (let j = m; j < ph - m; j++) {
    for (let i = m; i < pw - m; i++) {
      const k = j * pw + i;
      const s = smooth[k];
      if (s <= cut) continue;
      // Local maximum; ties go to the first in scan order.
      if (
        s <= smooth[k - pw - 1] || s <= smooth[k - pw] || s <= smooth[k - pw + 1] || s <= smooth[k - 1] ||
        s < smooth[k + 1] || s < smooth[k + pw - 1] || s < smooth[k + pw] || s < smooth[k + pw + 1]
      ) {
        continue;
      }
      const x = px0 + i;
      const y = py0 + j;
      if (within && (x - within.x) ** 2 + (y - within.y) ** 2 > within.radius ** 2) continue;

      // The brightest raw pixel of the 3×3, and the footprint around it.
      let top = -Infinity;
      let tk = k;
      for (let dj = -1; dj <= 1; dj++) {
        for (let di = -1; di <= 1; di++) {
          const v = raw[k + dj * pw + di];
          if (v > top) {
            top = v;
            tk = k + dj * pw + di;
          }
        }
      }
      const sharpness = top / s;
      if (!(sharpness <= maxSharpness)) continue;
      let footprint = 0;
      const level = footprintLevel * top;
      for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) if (raw[tk + dj * pw + di] > level) footprint++;
      if (footprint < minPixels) continue;
      const tj = Math.floor(tk / pw);
      peaks.push({ k, i, j, s, sharpness, tx: px0 + (tk - tj * pw), ty: py0 + tj });
    }
  }
  if (peaks.length > limit) {
    peaks.sort((a, b) => b.s - a.s);
    peaks.length = limit;
  }

  // Local sky and flux, read from the image itself (the ring may reach beyond the padded rect).
  const fr = Math.ceil(fluxRadius);
  const fr2 = fluxRadius * fluxRadius;
  const ringIn2 = (fluxRadius + 2) ** 2;
  const ringOut = fluxRadius + 6;
  const ro = Math.ceil(ringOut);
  const ringValues = new Float64Array((2 * ro + 1) ** 2);
  const candidates: Candidate[] = [];
  for (const p of peaks) {
    const x = px0 + p.i;
    const y = py0 + p.j;
    let n = 0;
    for (let dj = -ro; dj <= ro; dj++) {
      const yy = y + dj;
      if (yy < 1 || yy > height) continue;
      for (let di = -ro; di <= ro; di++) {
        const xx = x + di;
        const r2 = di * di + dj * dj;
        if (xx < 1 || xx > width || r2 < ringIn2 || r2 > ringOut * ringOut) continue;
        const v = data[(yy - 1) * width + (xx - 1)];
        if (v === v) ringValues[n++] = v;
      }
    }
    const sky = n >= 8 ? sortedMedianOf(ringValues.subarray(0, n).sort()) : background.levelAt(x, y);
    // The smoothed peak above the local sky rather than above the mesh background.
    const localHeight = p.s - (sky - background.levelAt(x, y));
    if (!(localHeight > cut)) continue;
    let flux = 0;
    for (let dj = -fr; dj <= fr; dj++) {
      const yy = y + dj;
      if (yy < 1 || yy > height) continue;
      for (let di = -fr; di <= fr; di++) {
        const xx = x + di;
        if (xx < 1 || xx > width || di * di + dj * dj > fr2) continue;
        const v = data[(yy - 1) * width + (xx - 1)];
        if (v === v) flux += v - sky;
      }
    }

    // Parabolic refinement on the smoothed image.
    const k = p.k;
    const s = p.s;
    const ddx = smooth[k - 1] - 2 * s + smooth[k + 1];
    const ddy = smooth[k - pw] - 2 * s + smooth[k + pw];
    const ox = ddx < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (smooth[k - 1] - smooth[k + 1])) / ddx)) : 0;
    const oy = ddy < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (smooth[k - pw] - smooth[k + pw])) / ddy)) : 0;
    candidates.push({
      x: x + ox,
      y: y + oy,
      peak: data[(p.ty - 1) * width + (p.tx - 1)],
      flux,
      background: sky,
      significance: localHeight / smoothedNoise,
      sharpness: p.sharpness,
      height: localHeight,
    });
  }
  return candidates;
}

function sortedMedianOf(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[n >> 1] : 0.5 * (sorted[(n >> 1) - 1] + sorted[n >> 1]);
}

function strip(c: Candidate): Source {
  const { height: _height, ...source } = c;
  return source;
}

/**
 * Stars in the whole image (less a border), highest flux first. Cost: a background mesh, one separable smoothing
 * and one scan of the image; about 50 ms for 1392×1040.
 */
export function detectSources(image: PixelImage, options: DetectSourcesOptions = {}): Source[] {
  assertImage(image);
  const maxSources = options.maxSources ?? 50;
  const border = Math.max(0, Math.round(options.border ?? 10));
  const minSeparation = options.minSeparation ?? 5;
  const region = options.region;
  const rect = {
    x0: Math.max(1 + border, region ? Math.ceil(region.x0) : 1),
    y0: Math.max(1 + border, region ? Math.ceil(region.y0) : 1),
    x1: Math.min(image.width - border, region ? Math.floor(region.x1) : image.width),
    y1: Math.min(image.height - border, region ? Math.floor(region.y1) : image.height),
  };
  if (rect.x1 < rect.x0 || rect.y1 < rect.y0 || maxSources <= 0) return [];
  const background = backgroundMap(image, undefined, options.background);
  const candidates = findCandidates(image, rect, background, options, Math.max(200, 20 * maxSources)).sort(
    (a, b) => b.flux - a.flux,
  );

  // Greedy: brightest first, skipping anything within minSeparation of a source already kept.
  const kept: Candidate[] = [];
  const sep2 = minSeparation * minSeparation;
  for (const c of candidates) {
    if (kept.length >= maxSources) break;
    if (kept.some((k) => (k.x - c.x) ** 2 + (k.y - c.y) ** 2 < sep2)) continue;
    kept.push(c);
  }
  return kept.map(strip);
}

/**
 * The brightest star-like source (by smoothed height) within `radius` of (x, y), or null if none passes the
 * threshold. Reads only the search circle's bounding box (plus a margin).
 */
export function findBrightestSource(image: PixelImage, options: FindBrightestOptions = {}): Source | null {
  assertImage(image);
  const x = options.x ?? (image.width + 1) / 2;
  const y = options.y ?? (image.height + 1) / 2;
  const radius = options.radius ?? Math.min(image.width, image.height) / 4;
  if (!Number.isFinite(x) || !Number.isFinite(y)) throw new PhotometryError(`Search centre must be finite, got (${x}, ${y})`);
  if (!(radius > 0)) throw new PhotometryError(`Search radius must be positive, got ${radius}`);
  const rect = {
    x0: Math.max(1, Math.ceil(x - radius)),
    y0: Math.max(1, Math.ceil(y - radius)),
    x1: Math.min(image.width, Math.floor(x + radius)),
    y1: Math.min(image.height, Math.floor(y + radius)),
  };
  if (rect.x1 < rect.x0 || rect.y1 < rect.y0) return null;
  // The background of the search box plus a rim, so a small box still has sky around the star.
  const rim = 16;
  const bgRect = {
    x0: Math.max(1, rect.x0 - rim),
    y0: Math.max(1, rect.y0 - rim),
    x1: Math.min(image.width, rect.x1 + rim),
    y1: Math.min(image.height, rect.y1 + rim),
  };
  const background = backgroundMap(image, bgRect, options.background);
  let best: Candidate | null = null;
  for (const c of findCandidates(image, rect, background, options, 1000, { x, y, radius })) {
    if (!best || c.height > best.height) best = c;
  }
  return best ? strip(best) : null;
}
