/**
 * Area-average resampling of an image to any smaller size: each output pixel is the mean of the input pixels it
 * covers, partial pixels weighted by the fraction covered (NaN pixels left out). Done in two separable passes, so
 * the cost is about two reads of the input: the fast way to make a thumbnail or a timelapse frame of exactly the
 * size asked for, without a second resize in an image library.
 */

/**
 * For each input index along one axis: the output cell it falls in first, and how much of it (in input pixels)
 * goes there; the rest (when it straddles a boundary) goes to the next cell. With a shrinking scale an input pixel
 * never touches more than two output cells.
 */
function contributions(inputLength: number, outputLength: number): { cell: Int32Array; share: Float32Array } {
  const scale = inputLength / outputLength;
  const cell = new Int32Array(inputLength);
  const share = new Float32Array(inputLength);
  for (let i = 0; i < inputLength; i++) {
    const o = Math.min(outputLength - 1, Math.floor(i / scale));
    const boundary = (o + 1) * scale;
    cell[i] = o;
    share[i] = boundary < i + 1 && o + 1 < outputLength ? boundary - i : 1;
  }
  return { cell, share };
}

/** Resamples `data` (width × height, row-major) to exactly outWidth × outHeight by area averaging; never enlarges. */
export function resampleArea(
  data: ArrayLike<number>,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): { data: Float32Array; width: number; height: number } {
  if (!(outWidth >= 1 && outHeight >= 1 && outWidth <= width && outHeight <= height)) {
    throw new RangeError(`cannot resample ${width}×${height} to ${outWidth}×${outHeight} (only to a smaller or equal size)`);
  }
  const { cell: columnCell, share: columnShare } = contributions(width, outWidth);
  const rows = contributions(height, outHeight);
  const sums = new Float64Array(outWidth * outHeight);
  const weights = new Float64Array(outWidth * outHeight);
  // One row at a time: spread it over the output columns (input-major: one read per pixel), then add that row
  // into the one or two output rows it covers.
  const rowSum = new Float64Array(outWidth);
  const rowWeight = new Float64Array(outWidth);
  for (let y = 0; y < height; y++) {
    rowSum.fill(0);
    rowWeight.fill(0);
    const base = y * width;
    for (let x = 0; x < width; x++) {
      const value = data[base + x];
      if (value !== value) continue; // NaN: blank
      const o = columnCell[x];
      const a = columnShare[x];
      rowSum[o] += value * a;
      rowWeight[o] += a;
      if (a < 1) {
        rowSum[o + 1] += value * (1 - a);
        rowWeight[o + 1] += 1 - a;
      }
    }
    const r = rows.cell[y];
    const b = rows.share[y];
    let target = r * outWidth;
    for (let o = 0; o < outWidth; o++) {
      sums[target + o] += rowSum[o] * b;
      weights[target + o] += rowWeight[o] * b;
    }
    if (b < 1) {
      const rest = 1 - b;
      target += outWidth;
      for (let o = 0; o < outWidth; o++) {
        sums[target + o] += rowSum[o] * rest;
        weights[target + o] += rowWeight[o] * rest;
      }
    }
  }
  const out = new Float32Array(outWidth * outHeight);
  for (let i = 0; i < out.length; i++) out[i] = weights[i] > 0 ? sums[i] / weights[i] : NaN;
  return { data: out, width: outWidth, height: outHeight };
}
