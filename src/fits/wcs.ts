/**
 * World coordinates of FITS images: celestial gnomonic (TAN) projections, optionally with SIP distortion.
 *
 * Follows Greisen & Calabretta 2002 (WCS paper I: CRPIX, the CD / PC·CDELT / CDELT+CROTA linear part) and
 * Calabretta & Greisen 2002 (paper II: native spherical coordinates of the zenithal TAN projection and the
 * rotation to celestial coordinates), and the SIP convention of Shupe et al. 2005 for polynomial distortion.
 * Pixel coordinates are FITS (and DS9) ones: 1-based, (1, 1) the centre of the first pixel, x along NAXIS1.
 *
 * Only the first two axes are read and only the primary WCS (no alternate 'A'..'Z' descriptions).
 * Anything that is not a celestial TAN pair is still described (ctype, reason) but has no sky transformation:
 * solar images (helioprojective HPLN/HPLT, EIT's Solar-X/Solar-Y, heliographic...), linear axes, and other
 * projections such as SIN. Plain code: no framework imports.
 */
import { FitsCard } from './types';

/** Celestial frame of a TAN WCS, from the CTYPE pair (RA/DEC, GLON/GLAT, ELON/ELAT, SLON/SLAT). */
export type CelestialFrame = 'equatorial' | 'galactic' | 'ecliptic' | 'supergalactic';

/**
 * Celestial position in degrees: `ra` is the longitude in [0, 360), `dec` the latitude in [-90, 90]. For a
 * galactic (ecliptic, supergalactic) frame they are l and b (λ and β...), see `Wcs.frame`.
 */
export interface SkyPosition {
  ra: number;
  dec: number;
}

/** FITS pixel position: 1-based, x along NAXIS1 (columns), y along NAXIS2 (rows, row 1 at the bottom). */
export interface PixelPosition {
  x: number;
  y: number;
}

interface WcsBase {
  /** CTYPE1 and CTYPE2 as written in the header (trimmed; '' when missing). */
  ctype: string[];
  /** What the reader assumed or ignored, in words (e.g. "TAN-SIP without A_/B_ coefficients: plain TAN"). */
  notes: string[];
  frame?: CelestialFrame;
  reason?: string;
}

/** A celestial TAN (or TAN-SIP) WCS: pixel ↔ sky both ways. */
export interface CelestialWcs extends WcsBase {
  celestial: true;
  frame: CelestialFrame;
  projection: 'TAN';
  /** True when SIP distortion polynomials are applied (CTYPE ...-TAN-SIP with A_p_q/B_p_q). */
  sip: boolean;
  /** RADESYS (or RADECSYS) when given, e.g. 'ICRS', 'FK5'. */
  radesys?: string;
  /** EQUINOX (or EPOCH) when given, e.g. 2000. */
  equinox?: number;
  /** Index (0 or 1) of the pixel/world axis carrying the longitude (1 when the header has DEC first). */
  longitudeAxis: 0 | 1;
  /** CRPIX1, CRPIX2. */
  crpix: [number, number];
  /** Reference point (longitude, latitude) in degrees, whatever the axis order. */
  crval: [number, number];
  /**
   * Linear transformation in degrees per pixel: row i gives intermediate world axis i+1 from pixel offsets
   * (x − CRPIX1, y − CRPIX2), i.e. the CD matrix (possibly derived from PC·CDELT or CDELT+CROTA).
   */
  cd: [[number, number], [number, number]];
  /** Native longitude of the celestial pole (LONPOLE) in degrees. */
  lonpole: number;
  /** Pixel → sky, degrees. NaN for non-finite input. */
  pixToWorld(x: number, y: number): SkyPosition;
  /**
   * Sky → pixel. Points that the gnomonic projection cannot show — 90° or more from the reference point —
   * give {x: NaN, y: NaN}; so do non-finite inputs and (with SIP) positions where the distortion cannot be
   * inverted.
   */
  worldToPix(ra: number, dec: number): PixelPosition;
}

/** A WCS this reader does not turn into sky positions; the transformation methods throw. */
export interface NonCelestialWcs extends WcsBase {
  celestial: false;
  /** Why there are no sky coordinates, e.g. "helioprojective (HPLN/HPLT) coordinates, not RA/Dec". */
  reason: string;
  /** Always throws: the image has no RA/Dec. */
  pixToWorld(x: number, y: number): never;
  /** Always throws: the image has no RA/Dec. */
  worldToPix(ra: number, dec: number): never;
}

export type Wcs = CelestialWcs | NonCelestialWcs;

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

/** Longitude/latitude CTYPE pairs of the celestial frames. */
const CELESTIAL_PAIRS: Array<{ lng: string; lat: string; frame: CelestialFrame }> = [
  { lng: 'RA', lat: 'DEC', frame: 'equatorial' },
  { lng: 'GLON', lat: 'GLAT', frame: 'galactic' },
  { lng: 'ELON', lat: 'ELAT', frame: 'ecliptic' },
  { lng: 'SLON', lat: 'SLAT', frame: 'supergalactic' },
];

/** Solar coordinate types: never RA/Dec. */
const SOLAR_TYPES: Array<{ types: string[]; description: string }> = [
  { types: ['HPLN', 'HPLT'], description: 'helioprojective (HPLN/HPLT) coordinates, not RA/Dec' },
  { types: ['HRLN', 'HRLT'], description: 'helioprojective-radial (HRLN/HRLT) coordinates, not RA/Dec' },
  { types: ['HGLN', 'HGLT'], description: 'heliographic Stonyhurst (HGLN/HGLT) coordinates, not RA/Dec' },
  { types: ['CRLN', 'CRLT'], description: 'heliographic Carrington (CRLN/CRLT) coordinates, not RA/Dec' },
  { types: ['SOLX', 'SOLY', 'SOLZ'], description: 'heliocentric cartesian (SOLX/SOLY) coordinates, not RA/Dec' },
  { types: ['SOLAR-X', 'SOLAR-Y'], description: 'solar image coordinates (Solar-X/Solar-Y, arcsec from Sun centre), not RA/Dec' },
];

/** Angle units allowed in CUNITi of a celestial axis, in degrees. */
const ANGLE_UNITS: Record<string, number> = {
  deg: 1,
  degree: 1,
  degrees: 1,
  arcmin: 1 / 60,
  arcsec: 1 / 3600,
  mas: 1 / 3_600_000,
  rad: R2D,
};

interface ParsedCtype {
  /** Coordinate type, upper case, without the '-' padding: 'RA', 'DEC', 'GLON', 'SOLAR-X', 'LINEAR'... */
  type: string;
  /** Projection code ('TAN', 'SIN'...) or '' when the value has no "xxxx-PPP" form. */
  projection: string;
  /** Anything after the projection code, e.g. '-SIP'. */
  suffix: string;
}

/**
 * Reads the WCS of an image HDU from its header cards. Returns null when the header has neither CTYPE1 nor
 * CTYPE2. Otherwise a `CelestialWcs` for a celestial pair with the TAN projection (in either axis order, with
 * SIP distortion when the CTYPEs end in -SIP and A_/B_ coefficients are present), or a `NonCelestialWcs`
 * with the reason for anything else.
 *
 * Linear part (paper I): CDi_j if any is present (missing ones 0); else PCi_j (default identity) scaled by
 * CDELTi (default 1); else CDELTi with the CROTA of the latitude axis. LONPOLE defaults to 180° (0° when
 * the reference point is the north celestial pole itself, δ0 ≥ θ0 = 90°, as paper II specifies); LATPOLE
 * plays no role for TAN because the native pole is the reference point.
 */
export function parseWcs(cards: FitsCard[]): Wcs | null {
  const values = new Map<string, FitsCard['value']>();
  for (const card of cards) {
    const key = card.keyword.toUpperCase();
    if (!values.has(key)) values.set(key, card.value);
  }
  const str = (key: string): string | undefined => {
    const v = values.get(key);
    return typeof v === 'string' ? v.trim() : undefined;
  };
  const num = (key: string): number | undefined => {
    const v = values.get(key);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return undefined;
  };

  const rawCtype1 = str('CTYPE1');
  const rawCtype2 = str('CTYPE2');
  if (rawCtype1 === undefined && rawCtype2 === undefined) return null;
  const ctype = [rawCtype1 ?? '', rawCtype2 ?? ''];
  const notes: string[] = [];
  const fail = (reason: string): NonCelestialWcs => nonCelestial(ctype, reason, notes);

  const axes = ctype.map(parseCtype);
  const solar = SOLAR_TYPES.find((s) => axes.some((a) => s.types.includes(a.type)));
  if (solar) return fail(solar.description);

  const pair = CELESTIAL_PAIRS.find(
    (p) => (axes[0].type === p.lng && axes[1].type === p.lat) || (axes[0].type === p.lat && axes[1].type === p.lng),
  );
  if (!pair) {
    const celestialAxis = axes.findIndex((a) => CELESTIAL_PAIRS.some((p) => a.type === p.lng || a.type === p.lat));
    if (celestialAxis >= 0) {
      return fail(`only one celestial axis among the first two (CTYPE1 '${ctype[0]}', CTYPE2 '${ctype[1]}')`);
    }
    if (axes.some((a) => /^[A-Z]{2}LN$|^[A-Z]{2}LT$/.test(a.type))) {
      return fail(`${describeTypes(ctype)}: a spherical coordinate system other than RA/Dec or galactic, not supported`);
    }
    return fail(`${describeTypes(ctype)} are not celestial (RA/Dec) coordinates`);
  }
  const lngAxis: 0 | 1 = axes[0].type === pair.lng ? 0 : 1;
  const latAxis: 0 | 1 = lngAxis === 0 ? 1 : 0;

  if (axes[0].projection !== axes[1].projection) {
    return fail(`the two celestial axes have different projections (CTYPE1 '${ctype[0]}', CTYPE2 '${ctype[1]}')`);
  }
  const projection = axes[0].projection;
  if (projection === '') return fail(`no projection code in CTYPE1 '${ctype[0]}' / CTYPE2 '${ctype[1]}' (expected e.g. RA---TAN)`);
  if (projection !== 'TAN') return fail(`projection ${projection} is not supported (only TAN, the gnomonic projection)`);
  const suffixes = new Set(axes.map((a) => a.suffix));
  if (suffixes.size > 1) return fail(`the two celestial axes disagree about distortion (CTYPE1 '${ctype[0]}', CTYPE2 '${ctype[1]}')`);
  const suffix = axes[0].suffix;
  if (suffix !== '' && suffix !== '-SIP') return fail(`distortion convention ${suffix.replace(/^-/, '')} is not supported (only SIP)`);

  // Fiducial point other than the native pole: not the plain TAN of paper II, refuse rather than misplace.
  const phi0 = num(`PV${lngAxis + 1}_1`);
  const theta0 = num(`PV${lngAxis + 1}_2`);
  if ((phi0 !== undefined && phi0 !== 0) || (theta0 !== undefined && theta0 !== 90)) {
    return fail(`a TAN projection with a non-default fiducial point (PV${lngAxis + 1}_1/PV${lngAxis + 1}_2) is not supported`);
  }

  // Units of the celestial axes: degrees by the standard; convert other angle units.
  const unitScale: number[] = [];
  for (let i = 0; i < 2; i++) {
    const unit = str(`CUNIT${i + 1}`);
    if (unit === undefined || unit === '') {
      unitScale.push(1);
      continue;
    }
    const scale = ANGLE_UNITS[unit.toLowerCase()];
    if (scale === undefined) return fail(`CUNIT${i + 1} '${unit}' is not an angle unit`);
    if (scale !== 1) notes.push(`CUNIT${i + 1} '${unit}' converted to degrees`);
    unitScale.push(scale);
  }

  const crpix: [number, number] = [num('CRPIX1') ?? 0, num('CRPIX2') ?? 0];
  const crvalByAxis = [(num('CRVAL1') ?? 0) * unitScale[0], (num('CRVAL2') ?? 0) * unitScale[1]];
  const cd = linearPart(num, lngAxis, latAxis, notes);
  for (let i = 0; i < 2; i++) {
    // (+ 0 turns the -0 of products like -CDELT × sin 0 into 0.)
    cd[i][0] = cd[i][0] * unitScale[i] + 0;
    cd[i][1] = cd[i][1] * unitScale[i] + 0;
  }
  const det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  if (!(Math.abs(det) > 0) || !Number.isFinite(det)) {
    return fail('the linear transformation (CD, PC/CDELT or CDELT/CROTA) is singular');
  }

  const alpha0 = crvalByAxis[lngAxis];
  const delta0 = crvalByAxis[latAxis];
  if (!(delta0 >= -90 && delta0 <= 90)) return fail(`reference latitude ${delta0}° is outside [-90°, 90°]`);

  // Paper II: for zenithal projections θ0 = 90°, so LONPOLE defaults to 0 if δ0 ≥ 90° and 180° otherwise.
  const lonpoleGiven = num('LONPOLE');
  const lonpole = lonpoleGiven ?? (delta0 >= 90 ? 0 : 180);
  if (num('LATPOLE') !== undefined) notes.push('LATPOLE ignored: for TAN the native pole is the reference point, so δp = CRVAL latitude');

  let sip: SipDistortion | null = null;
  if (suffix === '-SIP') {
    sip = readSip(values, num, notes);
    if (!sip) notes.push('CTYPE says TAN-SIP but there are no A_p_q/B_p_q coefficients: treated as plain TAN');
  } else if (values.has('A_ORDER') || values.has('B_ORDER')) {
    notes.push('SIP coefficients present but CTYPE has no -SIP suffix: ignored (as the SIP convention requires)');
  }

  const radesys = str('RADESYS') ?? str('RADECSYS');
  const equinox = num('EQUINOX') ?? num('EPOCH');
  const transform = new TanTransform(crpix, cd, det, lngAxis, alpha0, delta0, lonpole, sip);
  const wcs: CelestialWcs = {
    celestial: true,
    ctype,
    notes,
    frame: pair.frame,
    projection: 'TAN',
    sip: sip !== null,
    longitudeAxis: lngAxis,
    crpix,
    crval: [alpha0, delta0],
    cd,
    lonpole,
    pixToWorld: (x, y) => transform.pixToWorld(x, y),
    worldToPix: (ra, dec) => transform.worldToPix(ra, dec),
  };
  if (radesys !== undefined && pair.frame === 'equatorial') wcs.radesys = radesys;
  if (equinox !== undefined && pair.frame !== 'galactic' && pair.frame !== 'supergalactic') wcs.equinox = equinox;
  return wcs;
}

function nonCelestial(ctype: string[], reason: string, notes: string[]): NonCelestialWcs {
  const refuse = (): never => {
    throw new Error(`This image has no RA/Dec world coordinates: ${reason}`);
  };
  return { celestial: false, ctype, reason, notes, pixToWorld: refuse, worldToPix: refuse };
}

function describeTypes(ctype: string[]): string {
  return `CTYPE1 '${ctype[0]}' and CTYPE2 '${ctype[1]}'`;
}

/** Splits a CTYPE value "TTTT-PPP[-SSS]" (e.g. 'RA---TAN-SIP') into type, projection and suffix. */
function parseCtype(value: string): ParsedCtype {
  const upper = value.trim().toUpperCase();
  if (upper.length >= 8 && upper[4] === '-') {
    return { type: upper.slice(0, 4).replace(/-+$/, ''), projection: upper.slice(5, 8), suffix: upper.slice(8) };
  }
  return { type: upper, projection: '', suffix: '' };
}

type NumberOf = (key: string) => number | undefined;

/** The CD matrix from CDi_j, PCi_j × CDELTi, or CDELTi + CROTA (paper I, paper II §6.1). */
function linearPart(num: NumberOf, lngAxis: 0 | 1, latAxis: 0 | 1, notes: string[]): [[number, number], [number, number]] {
  const key = (prefix: string, i: number, j: number) => `${prefix}${i + 1}_${j + 1}`;
  const indices: Array<[number, number]> = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ];
  if (indices.some(([i, j]) => num(key('CD', i, j)) !== undefined)) {
    const m = (i: number, j: number) => num(key('CD', i, j)) ?? 0;
    return [
      [m(0, 0), m(0, 1)],
      [m(1, 0), m(1, 1)],
    ];
  }
  const cdelt = [num('CDELT1') ?? 1, num('CDELT2') ?? 1];
  if (indices.some(([i, j]) => num(key('PC', i, j)) !== undefined)) {
    const m = (i: number, j: number) => num(key('PC', i, j)) ?? (i === j ? 1 : 0);
    return [
      [cdelt[0] * m(0, 0), cdelt[0] * m(0, 1)],
      [cdelt[1] * m(1, 0), cdelt[1] * m(1, 1)],
    ];
  }
  // AIPS convention: the rotation belongs to the latitude axis.
  const latRotation = num(`CROTA${latAxis + 1}`);
  const lngRotation = num(`CROTA${lngAxis + 1}`);
  let rho = latRotation ?? 0;
  if (latRotation === undefined && lngRotation !== undefined && lngRotation !== 0) {
    rho = lngRotation;
    notes.push(`CROTA${lngAxis + 1} used as the rotation: CROTA${latAxis + 1} (latitude axis) is missing`);
  }
  const cos = Math.cos(rho * D2R);
  const sin = Math.sin(rho * D2R);
  const cd: [[number, number], [number, number]] = [
    [0, 0],
    [0, 0],
  ];
  cd[lngAxis][lngAxis] = cdelt[lngAxis] * cos;
  cd[lngAxis][latAxis] = -cdelt[latAxis] * sin;
  cd[latAxis][lngAxis] = cdelt[lngAxis] * sin;
  cd[latAxis][latAxis] = cdelt[latAxis] * cos;
  return cd;
}

/** SIP polynomial coefficients: coefficient of u^p v^q at [p][q]. */
interface SipDistortion {
  a: number[][];
  b: number[][];
  /** Inverse polynomials when the header has them (AP_p_q/BP_p_q); only used as a starting point. */
  ap: number[][] | null;
  bp: number[][] | null;
}

function readSip(values: Map<string, FitsCard['value']>, num: NumberOf, notes: string[]): SipDistortion | null {
  const read = (name: string): number[][] | null => {
    const order = num(`${name}_ORDER`);
    if (order === undefined || !Number.isInteger(order) || order < 0 || order > 20) return null;
    const m: number[][] = [];
    let any = false;
    for (let p = 0; p <= order; p++) {
      m.push([]);
      for (let q = 0; p + q <= order; q++) {
        const c = num(`${name}_${p}_${q}`);
        m[p].push(c ?? 0);
        if (c !== undefined && c !== 0) any = true;
      }
    }
    return any || values.has(`${name}_ORDER`) ? m : null;
  };
  const a = read('A');
  const b = read('B');
  if (!a && !b) return null;
  const ap = read('AP');
  const bp = read('BP');
  notes.push(
    ap && bp
      ? 'SIP distortion applied; sky → pixel starts from AP/BP and is refined by Newton iteration on A/B'
      : 'SIP distortion applied; no AP/BP inverse in the header, sky → pixel inverts A/B by Newton iteration',
  );
  return { a: a ?? [[0]], b: b ?? [[0]], ap: ap && bp ? ap : null, bp: ap && bp ? bp : null };
}

/** Σ c[p][q] u^p v^q and its partial derivatives. */
function polynomial(c: number[][], u: number, v: number): { value: number; du: number; dv: number } {
  let value = 0;
  let du = 0;
  let dv = 0;
  let up = 1; // u^p
  let upm1 = 0; // u^(p-1)
  for (let p = 0; p < c.length; p++) {
    let vq = 1;
    let vqm1 = 0;
    const row = c[p];
    for (let q = 0; q < row.length; q++) {
      const k = row[q];
      if (k !== 0) {
        value += k * up * vq;
        du += k * p * upm1 * vq;
        dv += k * q * up * vqm1;
      }
      vqm1 = vq;
      vq *= v;
    }
    upm1 = up;
    up *= u;
  }
  return { value, du, dv };
}

/** The pixel ↔ sky computation of one TAN WCS (precomputed trigonometry). */
class TanTransform {
  private readonly inv: [[number, number], [number, number]];
  private readonly sinDeltaP: number;
  private readonly cosDeltaP: number;
  private readonly alphaP: number;
  private readonly phiP: number;

  constructor(
    private readonly crpix: [number, number],
    private readonly cd: [[number, number], [number, number]],
    det: number,
    private readonly lngAxis: 0 | 1,
    alpha0: number,
    delta0: number,
    lonpole: number,
    private readonly sip: SipDistortion | null,
  ) {
    this.inv = [
      [cd[1][1] / det, -cd[0][1] / det],
      [-cd[1][0] / det, cd[0][0] / det],
    ];
    // Zenithal projection: the native pole (θ = 90°) is the reference point, so (αp, δp) = (α0, δ0).
    this.alphaP = alpha0 * D2R;
    this.sinDeltaP = Math.sin(delta0 * D2R);
    this.cosDeltaP = Math.cos(delta0 * D2R);
    this.phiP = lonpole * D2R;
  }

  pixToWorld(px: number, py: number): SkyPosition {
    if (!Number.isFinite(px) || !Number.isFinite(py)) return { ra: NaN, dec: NaN };
    let u = px - this.crpix[0];
    let v = py - this.crpix[1];
    if (this.sip) {
      const f = polynomial(this.sip.a, u, v).value;
      const g = polynomial(this.sip.b, u, v).value;
      u += f;
      v += g;
    }
    // Intermediate world coordinates (degrees), then projection-plane (x, y) = (longitude, latitude) axis.
    const w0 = this.cd[0][0] * u + this.cd[0][1] * v;
    const w1 = this.cd[1][0] * u + this.cd[1][1] * v;
    const x = this.lngAxis === 0 ? w0 : w1;
    const y = this.lngAxis === 0 ? w1 : w0;

    // TAN deprojection (paper II §5.1.3): φ = arg(−y, x), θ = atan(180° / (π R)).
    const r = Math.hypot(x, y) * D2R;
    const phi = r === 0 ? 0 : Math.atan2(x, -y);
    const theta = Math.atan2(1, r);

    // Native (φ, θ) → celestial (α, δ) (paper II eq. 2), with δ from atan2 for accuracy near the poles.
    const sinTheta = Math.sin(theta);
    const cosTheta = Math.cos(theta);
    const dPhi = phi - this.phiP;
    const cosDPhi = Math.cos(dPhi);
    const ex = sinTheta * this.cosDeltaP - cosTheta * this.sinDeltaP * cosDPhi;
    const ey = -cosTheta * Math.sin(dPhi);
    const ez = sinTheta * this.sinDeltaP + cosTheta * this.cosDeltaP * cosDPhi;
    const alpha = this.alphaP + Math.atan2(ey, ex);
    const delta = Math.atan2(ez, Math.hypot(ex, ey));
    return { ra: normalizeDegrees(alpha * R2D), dec: delta * R2D };
  }

  worldToPix(ra: number, dec: number): PixelPosition {
    if (!Number.isFinite(ra) || !Number.isFinite(dec) || dec < -90 || dec > 90) return { x: NaN, y: NaN };
    // Celestial (α, δ) → native (φ, θ) (paper II eq. 5).
    const alpha = ra * D2R;
    const delta = dec * D2R;
    const sinDelta = Math.sin(delta);
    const cosDelta = Math.cos(delta);
    const dAlpha = alpha - this.alphaP;
    const cosDAlpha = Math.cos(dAlpha);
    const ex = sinDelta * this.cosDeltaP - cosDelta * this.sinDeltaP * cosDAlpha;
    const ey = -cosDelta * Math.sin(dAlpha);
    const ez = sinDelta * this.sinDeltaP + cosDelta * this.cosDeltaP * cosDAlpha; // sin θ
    // θ ≤ 0: on or beyond the horizon of the tangent point, not on the gnomonic plane. (The margin keeps
    // rounding errors at exactly 90° from giving absurd finite positions.)
    if (!(ez > 1e-12)) return { x: NaN, y: NaN };
    const phi = this.phiP + Math.atan2(ey, ex);
    // R = cot θ (radians) = cos θ / sin θ, with cos θ = hypot(ex, ey).
    const r = (Math.hypot(ex, ey) / ez) * R2D;
    const x = r * Math.sin(phi);
    const y = -r * Math.cos(phi);

    const w0 = this.lngAxis === 0 ? x : y;
    const w1 = this.lngAxis === 0 ? y : x;
    const u = this.inv[0][0] * w0 + this.inv[0][1] * w1;
    const v = this.inv[1][0] * w0 + this.inv[1][1] * w1;
    if (!this.sip) return { x: u + this.crpix[0], y: v + this.crpix[1] };
    const solved = this.undistort(u, v);
    return solved ? { x: solved[0] + this.crpix[0], y: solved[1] + this.crpix[1] } : { x: NaN, y: NaN };
  }

  /** Solves (u + f(u,v), v + g(u,v)) = (U, V) for (u, v): Newton's method, from AP/BP when available. */
  private undistort(U: number, V: number): [number, number] | null {
    const sip = this.sip as SipDistortion;
    let u = U;
    let v = V;
    if (sip.ap && sip.bp) {
      u = U + polynomial(sip.ap, U, V).value;
      v = V + polynomial(sip.bp, U, V).value;
    }
    for (let iteration = 0; iteration < 50; iteration++) {
      const f = polynomial(sip.a, u, v);
      const g = polynomial(sip.b, u, v);
      const ru = u + f.value - U;
      const rv = v + g.value - V;
      const j11 = 1 + f.du;
      const j12 = f.dv;
      const j21 = g.du;
      const j22 = 1 + g.dv;
      const det = j11 * j22 - j12 * j21;
      if (!Number.isFinite(det) || det === 0) return null;
      const du = (j22 * ru - j12 * rv) / det;
      const dv = (j11 * rv - j21 * ru) / det;
      u -= du;
      v -= dv;
      if (Math.abs(du) < 1e-12 * (1 + Math.abs(u)) && Math.abs(dv) < 1e-12 * (1 + Math.abs(v))) return [u, v];
    }
    // Accept a solution that is good to a millionth of a pixel even if the last steps did not shrink further.
    const f = polynomial(sip.a, u, v).value;
    const g = polynomial(sip.b, u, v).value;
    return Math.abs(u + f - U) < 1e-6 && Math.abs(v + g - V) < 1e-6 ? [u, v] : null;
  }
}

/** Degrees into [0, 360). */
export function normalizeDegrees(angle: number): number {
  let a = angle % 360;
  if (a < 0) a += 360;
  // -1e-17 + 360 rounds to 360.
  return a >= 360 ? a - 360 : a;
}
