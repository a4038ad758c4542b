import * as fs from 'node:fs';
import * as path from 'node:path';
import { Page } from 'playwright-core';
import { ARTIFACTS, describeInBrowser, startBrowserPortal, textMatches } from '../utils/browser';
import { FIXTURES } from '../utils/test-app';

const TOM_CSV = path.join(FIXTURES, 'tom', 'photometry.csv');
const FIXTURE = fs.readFileSync(TOM_CSV, 'utf8');
/** The fixture's non-detections (a limit, no magnitude), read by hand: `filter source` → limits, oldest first. */
const UPPER_LIMITS: Record<string, number[]> = {};
for (const line of FIXTURE.trim().split('\n').slice(1)) {
  const [, filter, magnitude, , limit, source] = line.split(',');
  if (magnitude === '') (UPPER_LIMITS[`${source} ${filter}`] ??= []).push(Number(limit));
}

interface DrawnPoint {
  y: number;
  upperLimit: boolean;
  pointStyle: string;
  rotation: number;
  x: number;
  py: number;
}
interface DrawnSeries {
  label: string;
  colour: string;
  points: DrawnPoint[];
}

/**
 * Issue 17 in headless Chromium: a TOM Toolkit photometry file uploaded on the target page is drawn with its
 * non-detections as upper limits (downward triangles at the limit), the magnitude axis reversed, read from the
 * Chart.js instance the page draws and from the canvas's own pixels.
 */
describeInBrowser('in a real browser: TOM Toolkit photometry with upper limits', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;
  let page: Page;
  let targetId: number;

  beforeAll(async () => {
    browser = await startBrowserPortal();
    await browser.createUser('tomas', 'student');
    page = await browser.context.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** What the chart drew: each dataset's points with the options Chart.js resolved for their elements. */
  const drawn = (): Promise<{ reverse: boolean; brightPixel: number; faintPixel: number; series: DrawnSeries[]; legend: Array<{ text: string; pointStyle: string; rotation: number }> }> =>
    page.evaluate(() => {
      const chart = (window as unknown as { lightCurveChart: any }).lightCurveChart;
      return {
        reverse: chart.options.scales.y.reverse,
        brightPixel: chart.scales.y.getPixelForValue(16),
        faintPixel: chart.scales.y.getPixelForValue(20),
        series: chart.data.datasets.map((dataset: any, i: number) => {
          const elements = chart.getDatasetMeta(i).data;
          return {
            label: dataset.label,
            colour: dataset.borderColor,
            points: dataset.data.map((point: any, j: number) => ({
              y: point.y,
              upperLimit: point.upperLimit,
              pointStyle: elements[j].options.pointStyle,
              rotation: elements[j].options.rotation,
              x: elements[j].x,
              py: elements[j].y,
            })),
          };
        }),
        legend: chart.legend.legendItems.map((item: any) => ({ text: item.text, pointStyle: item.pointStyle, rotation: item.rotation })),
      };
    });

  it('uploads the TOM file on the target page and draws every row', async () => {
    await browser.logIn(page, 'tomas');
    await page.getByRole('link', { name: 'New target' }).click();
    await page.locator('input[name=name]').fill('SN 2024abc');
    await page.locator('input[name=ra]').fill('150.1');
    await page.locator('input[name=dec]').fill('2.2');
    await Promise.all([page.waitForURL(/\/targets\/\d+$/), page.getByRole('button', { name: 'Create target' }).click()]);
    targetId = Number(/\/targets\/(\d+)$/.exec(page.url())![1]);

    await page.locator('#upload-form input[type=file]').setInputFiles(TOM_CSV);
    await page.locator('#upload-form select[name=productType]').selectOption('photometry');
    await Promise.all([page.waitForURL(new RegExp(`/targets/${targetId}#data$`)), page.locator('#upload-form button[type=submit]').click()]);
    expect(await textMatches(page, '.flash', /Uploaded/)).toBe('Uploaded 1 file. 19 photometry point(s) added, 0 already present.');
    await page.locator('#light-curve[data-points="19"]').waitFor();
    const chart = await drawn();
    expect(chart.series.map((s) => s.label)).toEqual([
      'tomas · file photometry.csv · ATLAS · c',
      'tomas · file photometry.csv · ATLAS · o',
      'tomas · file photometry.csv · Las Cumbres 1m · B',
      'tomas · file photometry.csv · Las Cumbres 1m · V',
      'tomas · file photometry.csv · ZTF · g',
      'tomas · file photometry.csv · ZTF · r',
    ]);
  });

  it('draws each non-detection as a downward triangle at its limit, every detection in its filter\'s shape, on a reversed magnitude axis', async () => {
    const chart = await drawn();
    // Brighter is up: magnitude 16 sits above magnitude 20.
    expect(chart.reverse).toBe(true);
    expect(chart.brightPixel).toBeLessThan(chart.faintPixel);

    const limitsDrawn: Record<string, number[]> = {};
    for (const series of chart.series) {
      const [, , facility, filter] = series.label.split(' · ');
      const limits = series.points.filter((p) => p.upperLimit);
      if (limits.length) limitsDrawn[`${facility} ${filter}`] = limits.map((p) => p.y);
      for (const p of limits) expect({ series: series.label, y: p.y, pointStyle: p.pointStyle, rotation: p.rotation }).toEqual({ series: series.label, y: p.y, pointStyle: 'triangle', rotation: 180 });
      // Detections keep the series' own shape, never a triangle, unrotated; the legend shows that shape too.
      const detections = series.points.filter((p) => !p.upperLimit);
      const legend = chart.legend.find((item) => item.text === series.label)!;
      expect(legend.pointStyle).not.toBe('triangle');
      expect(legend.rotation).toBe(0);
      for (const p of detections) expect([p.pointStyle, p.rotation]).toEqual([legend.pointStyle, 0]);
    }
    expect(limitsDrawn).toEqual(UPPER_LIMITS);
    expect(Object.values(limitsDrawn).flat()).toHaveLength(4);

    // A non-detection is below (fainter than) the detections around it: the ZTF g limit before discovery, 20.61,
    // is drawn lower on the canvas than the first ZTF g detection, 19.42.
    const ztfG = chart.series.find((s) => s.label.endsWith('ZTF · g'))!;
    const firstLimit = ztfG.points.find((p) => p.upperLimit && p.y === 20.61)!;
    const firstDetection = ztfG.points.find((p) => p.y === 19.42)!;
    expect(firstLimit.py).toBeGreaterThan(firstDetection.py);

    // The canvas itself: the pixel at a triangle's centre has its series' colour.
    const pixel = await page.evaluate(({ x, y }) => {
      const canvas = document.getElementById('light-curve') as HTMLCanvasElement;
      const scale = canvas.width / canvas.getBoundingClientRect().width;
      return Array.from(canvas.getContext('2d')!.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data);
    }, { x: firstLimit.x, y: firstLimit.py });
    const hex = ztfG.colour.replace('#', '');
    expect(pixel).toEqual([0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).concat(255));
    await browser.screenshot(page, 'tom-photometry-upper-limits');
    await page.locator('#light-curve').screenshot({ path: path.join(ARTIFACTS, 'tom-photometry-chart.png') });
  });

  it('says "not detected" when the pointer is on an upper limit, and counts the limits in the series list', async () => {
    const chart = await drawn();
    const ztfG = chart.series.find((s) => s.label.endsWith('ZTF · g'))!;
    // The shallow limit of a cloudy night, 16.4, far from other points.
    const cloudy = ztfG.points.find((p) => p.upperLimit && p.y === 16.4)!;
    const box = (await page.locator('#light-curve').boundingBox())!;
    await page.mouse.move(box.x + cloudy.x, box.y + cloudy.py);
    const tooltip = await page.waitForFunction(() => {
      const chartJs = (window as unknown as { lightCurveChart: any }).lightCurveChart;
      const lines = chartJs.tooltip?.opacity ? chartJs.tooltip.body.flatMap((item: { lines: string[] }) => item.lines) : [];
      return lines.length ? lines : null;
    });
    const lines = (await tooltip.jsonValue()) as string[];
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tomas · file photometry\.csv · ZTF · g: not detected, fainter than 16\.4 \(upper limit\) at 2024-04-08T04:48:00\.000Z$/);

    const list = await page.locator('#light-curve-series li').allTextContents();
    expect(list.find((item) => item.includes('ZTF · g'))).toContain('(5 points, 2 upper limits, private)');
    expect(list.find((item) => item.includes('ATLAS · c'))).toContain('(1 point, private)');
  });

  it('offers what is shown in TOM Toolkit\'s format beside the CSV download, giving the uploaded file back', async () => {
    const tom = page.locator('#light-curve-csv-tom');
    expect(await tom.textContent()).toBe('in TOM Toolkit\u2019s format');
    const href = await tom.getAttribute('href');
    expect(href).toBe(`/targets/${targetId}/light-curve.csv?view=mine&format=tom`);
    expect(await page.evaluate(async (url) => (await fetch(url!)).text(), href)).toBe(FIXTURE);
    // A click on a legend entry hides its series, and both downloads narrow to what is still shown.
    const ztfR = (await drawn()).legend.findIndex((item) => item.text.endsWith('ZTF · r'));
    const hit = await page.evaluate((index) => {
      const box = (window as unknown as { lightCurveChart: any }).lightCurveChart.legend.legendHitBoxes[index];
      return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
    }, ztfR);
    const canvasBox = (await page.locator('#light-curve').boundingBox())!;
    await page.mouse.click(canvasBox.x + hit.x, canvasBox.y + hit.y);
    await page.waitForFunction(() => /series=/.test(document.getElementById('light-curve-csv-tom')!.getAttribute('href')!));
    expect(await page.evaluate((index) => (window as unknown as { lightCurveChart: any }).lightCurveChart.isDatasetVisible(index), ztfR)).toBe(false);
    const narrowed = await tom.getAttribute('href');
    expect(narrowed).toMatch(new RegExp(`^/targets/${targetId}/light-curve\\.csv\\?view=mine&series=[A-Za-z0-9_,-]+&format=tom$`));
    const csv = await page.evaluate(async (url) => (await fetch(url!)).text(), narrowed);
    expect(csv.trim().split('\n')).toHaveLength(1 + 19 - 4);
    expect(csv).not.toMatch(/,r,[^\n]*,ZTF\n/);
    expect(browser.errors).toEqual([]);
  });
});
