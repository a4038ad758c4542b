/**
 * Exact area of overlap between a circle and a pixel, so that aperture sums change smoothly as the aperture moves by
 * a fraction of a pixel (photutils' `method='exact'`, SEP's exact circular aperture).
 *
 * The area of {u in [x0, x1], v in [y0, y1], u² + v² <= r²} (relative to the circle's centre) is
 * F(x1, y1) - F(x0, y1) - F(x1, y0) + F(x0, y0), where F(x, y) is the signed area of the disc within the rectangle
 * between the origin and (x, y). By the disc's symmetry F is odd in each argument, and for x, y >= 0 it is x·y when
 * the corner (x, y) lies inside the circle, and otherwise x_c·y + ∫_{x_c}^{x} √(r² − u²) du with x_c = √(r² − y²).
 */

function chordIntegral(u: number, r: number): number {
  // ∫_0^u √(r² − t²) dt
  return 0.5 * (u * Math.sqrt(Math.max(0, r * r - u * u)) + r * r * Math.asin(Math.min(1, u / r)));
}

function quadrantArea(x: number, y: number, r: number): number {
  const sign = Math.sign(x) * Math.sign(y);
  if (sign === 0) return 0;
  const ax = Math.min(Math.abs(x), r);
  const ay = Math.min(Math.abs(y), r);
  if (ax * ax + ay * ay <= r * r) return sign * ax * ay;
  const xc = Math.sqrt(r * r - ay * ay);
  return sign * (xc * ay + chordIntegral(ax, r) - chordIntegral(xc, r));
}

/**
 * Area (0..1) of the pixel centred at (px, py), spanning ±0.5, that lies inside the circle of radius r centred at
 * (cx, cy). Cheap for pixels wholly inside or outside.
 */
export function pixelCircleOverlap(px: number, py: number, cx: number, cy: number, r: number): number {
  if (!(r > 0)) return 0;
  const dx = px - cx;
  const dy = py - cy;
  const adx = Math.abs(dx);
  const ady = Math.abs(dy);
  // Farthest corner inside: the whole pixel counts.
  const fx = adx + 0.5;
  const fy = ady + 0.5;
  if (fx * fx + fy * fy <= r * r) return 1;
  // Nearest point of the pixel outside: nothing.
  const nx = Math.max(0, adx - 0.5);
  const ny = Math.max(0, ady - 0.5);
  if (nx * nx + ny * ny >= r * r) return 0;
  const x0 = dx - 0.5;
  const x1 = dx + 0.5;
  const y0 = dy - 0.5;
  const y1 = dy + 0.5;
  const area = quadrantArea(x1, y1, r) - quadrantArea(x0, y1, r) - quadrantArea(x1, y0, r) + quadrantArea(x0, y0, r);
  return Math.min(1, Math.max(0, area));
}

/** Inclusive range of pixel indices (1-based) whose pixels can overlap [c − r, c + r]. */
export function pixelRange(c: number, r: number): [number, number] {
  return [Math.ceil(c - r - 0.5), Math.floor(c + r + 0.5)];
}
