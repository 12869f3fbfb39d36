// A page as a browser shows it: Debian's headless Chromium takes a screenshot, pngjs reads its
// pixels, so a test can check what a person would see (a banner's colour, a chart's bars).

import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { exec } from './exec.js';

/** Renders `html` (a file) at width x height into `png`; throws with Chromium's output when it fails. */
export async function screenshot(html: string, png: string, width = 1200, height = 900): Promise<void> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  const r = await exec('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--window-size=${width},${height}`, `--screenshot=${png}`, `file://${html}`]);
  if (r.code !== 0) throw new Error(`chromium exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
}

/** The share of the image's pixels (0..1) within `tolerance` of the colour `#rrggbb`, in a band of rows if given. */
export function colourShare(png: string, colour: string, rows?: [number, number], tolerance = 8): number {
  const image = PNG.sync.read(readFileSync(png));
  const want = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  const [from, to] = rows ?? [0, image.height];
  let hits = 0;
  for (let y = from; y < Math.min(to, image.height); y++) {
    for (let x = 0; x < image.width; x++) {
      const o = (y * image.width + x) * 4;
      if (want.every((v, c) => Math.abs(image.data[o + c] - v) <= tolerance)) hits++;
    }
  }
  return hits / (image.width * (Math.min(to, image.height) - from));
}

/**
 * The horizontal bands of the image (top and bottom row) whose every pixel row holds a pixel of
 * one of `colours`, at least `minHeight` rows tall: the rows of a chart, told apart from smaller
 * marks of the same colours (a legend's swatches).
 */
export function colourBands(png: string, colours: string[], minHeight: number, tolerance = 8): Array<[number, number]> {
  const image = PNG.sync.read(readFileSync(png));
  const wants = colours.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
  const hit = (y: number) => {
    for (let x = 0; x < image.width; x++) {
      const o = (y * image.width + x) * 4;
      if (wants.some((want) => want.every((v, c) => Math.abs(image.data[o + c] - v) <= tolerance))) return true;
    }
    return false;
  };
  const bands: Array<[number, number]> = [];
  let start = -1;
  for (let y = 0; y <= image.height; y++) {
    const on = y < image.height && hit(y);
    if (on && start < 0) start = y;
    if (!on && start >= 0) {
      if (y - start >= minHeight) bands.push([start, y - 1]);
      start = -1;
    }
  }
  return bands;
}
