/**
 * Background of an image or of a rectangle of it, SExtractor-style: the rectangle is cut into square meshes, each
 * mesh's level is the sigma-clipped median of (a subsample of) its pixels, the mesh levels are median-filtered 3×3
 * about a fitted plane (so a bright star does not raise its mesh, and a gradient stays straight) and interpolated
 * bilinearly between mesh centres (extrapolated to the rectangle's edges). The noise is the median of the meshes'
 * clipped standard deviations. A rectangle smaller than two meshes gets one flat level.
 */
import { clippedSampleStats } from './sample-statistics';
import type { PixelImage } from './types';

/** An inclusive rectangle of FITS 1-based pixels. */
export interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface BackgroundMap {
  rect: PixelRect;
  /** Background level at pixel (x, y) of the rectangle (bilinear between mesh centres, constant beyond them). */
  levelAt(x: number, y: number): number;
  /** Levels of row y for x = x0..x0 + out.length - 1 into `out`: the fast path for whole rows. */
  fillRow(y: number, x0: number, out: Float32Array | Float64Array): void;
  /** Median background level over the meshes. */
  level: number;
  /** Pixel-to-pixel standard deviation of the background (median over the meshes). */
  stdDev: number;
}

export interface BackgroundOptions {
  /** Mesh size, pixels. Default 64. */
  meshSize?: number;
  /** At most this many pixels sampled per mesh (an evenly strided subsample). Default 1024. */
  samplesPerMesh?: number;
}

function medianOf(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (!n) return NaN;
  return n % 2 ? sorted[n >> 1] : 0.5 * (sorted[(n >> 1) - 1] + sorted[n >> 1]);
}

export function backgroundMap(image: PixelImage, rect?: PixelRect, options: BackgroundOptions = {}): BackgroundMap {
  const { width, data } = image;
  const r = rect ?? { x0: 1, y0: 1, x1: image.width, y1: image.height };
  const mesh = Math.max(8, Math.round(options.meshSize ?? 64));
  const samplesPerMesh = options.samplesPerMesh ?? 1024;
  const w = r.x1 - r.x0 + 1;
  const h = r.y1 - r.y0 + 1;
  const nx = Math.max(1, Math.floor(w / mesh));
  const ny = Math.max(1, Math.floor(h / mesh));
  const cellW = w / nx;
  const cellH = h / ny;

  const levels = new Float64Array(nx * ny);
  const sigmas: number[] = [];
  const buffer = new Float64Array(samplesPerMesh * 2 + 16);
  for (let cy = 0; cy < ny; cy++) {
    const ya = r.y0 + Math.round(cy * cellH);
    const yb = r.y0 + Math.round((cy + 1) * cellH) - 1;
    for (let cx = 0; cx < nx; cx++) {
      const xa = r.x0 + Math.round(cx * cellW);
      const xb = r.x0 + Math.round((cx + 1) * cellW) - 1;
      const count = (xb - xa + 1) * (yb - ya + 1);
      const stride = Math.max(1, Math.ceil(Math.sqrt(count / samplesPerMesh)));
      let n = 0;
      for (let y = ya; y <= yb && n < buffer.length; y += stride) {
        const row = (y - 1) * width - 1;
        for (let x = xa; x <= xb && n < buffer.length; x += stride) {
          const v = data[row + x];
          if (v - v === 0) buffer[n++] = v; // finite
        }
      }
      const stats = clippedSampleStats(buffer.subarray(0, n));
      levels[cy * nx + cx] = stats.median;
      if (stats.count > 1) sigmas.push(stats.stdDev);
    }
  }

  // 3×3 median filter of the mesh levels, applied to their residuals from a least-squares plane so that a sky
  // gradient passes through unbent (a plain median filter pulls edge meshes towards the interior). Blank meshes
  // take their neighbours' median.
  const plane = fitPlane(levels, nx, ny);
  const residual = new Float64Array(nx * ny);
  for (let cy = 0; cy < ny; cy++) {
    for (let cx = 0; cx < nx; cx++) residual[cy * nx + cx] = levels[cy * nx + cx] - (plane[0] + plane[1] * cx + plane[2] * cy);
  }
  const filtered = new Float64Array(nx * ny);
  for (let cy = 0; cy < ny; cy++) {
    for (let cx = 0; cx < nx; cx++) {
      const around: number[] = [];
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const ix = cx + dx;
          const iy = cy + dy;
          if (ix >= 0 && ix < nx && iy >= 0 && iy < ny) around.push(residual[iy * nx + ix]);
        }
      }
      filtered[cy * nx + cx] = medianOf(around) + plane[0] + plane[1] * cx + plane[2] * cy;
    }
  }
  const level = medianOf(Array.from(filtered));
  for (let k = 0; k < filtered.length; k++) if (!Number.isFinite(filtered[k])) filtered[k] = level;
  const stdDev = medianOf(sigmas);

  const levelAt = (x: number, y: number): number => {
    if (nx === 1 && ny === 1) return filtered[0];
    // Mesh centres at r.x0 - 0.5 + (c + 0.5)·cellW. Between the outer mesh centres and the rectangle's edges the
    // level is extrapolated linearly (half a mesh at most), beyond the edges it stays at the edge's level.
    const cx = Math.min(r.x1, Math.max(r.x0, x));
    const cy = Math.min(r.y1, Math.max(r.y0, y));
    const fx = (cx - r.x0 + 0.5) / cellW - 0.5;
    const fy = (cy - r.y0 + 0.5) / cellH - 0.5;
    const ix = Math.max(0, Math.min(nx - 2, Math.floor(fx)));
    const iy = Math.max(0, Math.min(ny - 2, Math.floor(fy)));
    if (nx === 1) {
      const ty = fy - iy;
      return filtered[iy] * (1 - ty) + filtered[iy + 1] * ty;
    }
    if (ny === 1) {
      const tx = fx - ix;
      return filtered[ix] * (1 - tx) + filtered[ix + 1] * tx;
    }
    const tx = fx - ix;
    const ty = fy - iy;
    const a = filtered[iy * nx + ix];
    const b = filtered[iy * nx + ix + 1];
    const c = filtered[(iy + 1) * nx + ix];
    const d = filtered[(iy + 1) * nx + ix + 1];
    return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
  };

  // Each mesh row's levels interpolated along x once (positions off the rectangle take its edge's level); a whole
  // row then costs one blend per pixel.
  const profiles: Float64Array[] = [];
  for (let cy = 0; cy < ny; cy++) {
    const p = new Float64Array(w);
    for (let i = 0; i < w; i++) p[i] = levelAt(r.x0 + i, r.y0 + (cy + 0.5) * cellH - 0.5);
    profiles.push(p);
  }
  const fillRow = (y: number, x0: number, out: Float32Array | Float64Array): void => {
    const f = (Math.min(r.y1, Math.max(r.y0, y)) - r.y0 + 0.5) / cellH - 0.5;
    const iy = Math.max(0, Math.min(ny - 2, Math.floor(f)));
    const t = ny === 1 ? 0 : f - iy;
    const a = profiles[iy];
    const b = ny === 1 ? a : profiles[iy + 1];
    // Positions left of the rectangle take its first column's level, right of it its last column's.
    const n = out.length;
    const offset = x0 - r.x0;
    const first = Math.min(n, Math.max(0, -offset));
    const last = Math.max(first, Math.min(n, w - offset));
    const left = a[0] + (b[0] - a[0]) * t;
    const right = a[w - 1] + (b[w - 1] - a[w - 1]) * t;
    for (let i = 0; i < first; i++) out[i] = left;
    for (let i = first; i < last; i++) {
      const k = offset + i;
      out[i] = a[k] + (b[k] - a[k]) * t;
    }
    for (let i = last; i < n; i++) out[i] = right;
  };

  return { rect: r, levelAt, fillRow, level, stdDev };
}

/** Least-squares plane a + b·cx + c·cy through the finite mesh levels ([median, 0, 0] when too few). */
function fitPlane(levels: Float64Array, nx: number, ny: number): [number, number, number] {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sz = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  let sxz = 0;
  let syz = 0;
  for (let cy = 0; cy < ny; cy++) {
    for (let cx = 0; cx < nx; cx++) {
      const z = levels[cy * nx + cx];
      if (!Number.isFinite(z)) continue;
      n++;
      sx += cx;
      sy += cy;
      sz += z;
      sxx += cx * cx;
      syy += cy * cy;
      sxy += cx * cy;
      sxz += cx * z;
      syz += cy * z;
    }
  }
  if (n < 3) return [n ? sz / n : 0, 0, 0];
  // Centre the sums, then solve the 2×2 system for the slopes.
  const mx = sx / n;
  const my = sy / n;
  const mz = sz / n;
  const cxx = sxx - n * mx * mx;
  const cyy = syy - n * my * my;
  const cxy = sxy - n * mx * my;
  const cxz = sxz - n * mx * mz;
  const cyz = syz - n * my * mz;
  const det = cxx * cyy - cxy * cxy;
  let b = 0;
  let c = 0;
  if (det > 1e-12) {
    b = (cxz * cyy - cyz * cxy) / det;
    c = (cyz * cxx - cxz * cxy) / det;
  } else if (cxx > 1e-12) {
    b = cxz / cxx;
  } else if (cyy > 1e-12) {
    c = cyz / cyy;
  }
  return [mz - b * mx - c * my, b, c];
}
