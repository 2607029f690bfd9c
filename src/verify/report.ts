/** Verify outputs a person or a spreadsheet reads: predictions CSV, per-class CSV, confusion CSV/JSON and a PNG
 * heat-map. */
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomically } from '../onnx/write.js';
import type { VerifyResult } from './types.js';

const csvCell = (v: string | number) =>
  typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
const csvRow = (cells: Array<string | number>) => cells.map(csvCell).join(',');

export function predictionsCsv(r: VerifyResult): string {
  const rows = [csvRow(['id', 'label', 'label_name', 'prediction', 'prediction_name', 'correct', 'top5'])];
  for (const p of r.predictions) {
    rows.push(
      csvRow([
        p.id,
        p.label,
        r.labels[p.label],
        p.prediction,
        r.labels[p.prediction],
        p.prediction === p.label ? 1 : 0,
        p.top5.join(' '),
      ]),
    );
  }
  return `${rows.join('\n')}\n`;
}

export function perClassCsv(r: VerifyResult): string {
  const rows = [csvRow(['index', 'label', 'clips', 'correct', 'accuracy'])];
  for (const c of r.perClass)
    rows.push(csvRow([c.index, c.label, c.clips, c.correct, c.accuracy === null ? '' : c.accuracy.toFixed(4)]));
  return `${rows.join('\n')}\n`;
}

export function confusionCsv(r: VerifyResult): string {
  const rows = [csvRow(['true \\ predicted', ...r.labels])];
  for (const [i, row] of r.confusion.entries()) rows.push(csvRow([r.labels[i], ...row]));
  return `${rows.join('\n')}\n`;
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Confusion heat-map, rows normalised to the class's clip count; only classes that occur (as truth or prediction). */
export async function confusionPng(r: VerifyResult): Promise<Buffer> {
  const used = r.labels
    .map((_, i) => i)
    .filter((i) => r.confusion[i].some((v) => v > 0) || r.confusion.some((row) => row[i] > 0));
  const cell = 28;
  const margin = 230;
  const top = 40;
  const size = used.length * cell;
  const width = Math.max(margin + size + 190, 760);
  const height = top + size + margin + 20;
  const cells: string[] = [];
  used.forEach((ti, y) => {
    const total = r.confusion[ti].reduce((a, b) => a + b, 0) || 1;
    used.forEach((pi, x) => {
      const v = r.confusion[ti][pi];
      const f = v / total;
      const shade = Math.round(255 - f * 200);
      const fill = ti === pi ? `rgb(${shade},${255 - Math.round(f * 80)},${shade})` : `rgb(255,${shade},${shade})`;
      cells.push(
        `<rect x="${margin + x * cell}" y="${top + y * cell}" width="${cell - 1}" ` +
          `height="${cell - 1}" fill="${fill}"/>`,
      );
      if (v)
        cells.push(
          `<text x="${margin + x * cell + cell / 2}" y="${top + y * cell + cell / 2 + 4}" font-size="11" ` +
            `text-anchor="middle" fill="#000">${v}</text>`,
        );
    });
    cells.push(
      `<text x="${margin - 6}" y="${top + y * cell + cell / 2 + 4}" font-size="12" ` +
        `text-anchor="end">${escapeXml(r.labels[ti])}</text>`,
    );
    cells.push(
      `<text transform="translate(${margin + y * cell + cell / 2 + 4},${top + size + 6}) rotate(60)" ` +
        `font-size="12">${escapeXml(r.labels[ti])}</text>`,
    );
  });
  const title =
    `${escapeXml(r.model.split('/').pop() ?? r.model)} — top-1 ${(r.top1 * 100).toFixed(1)} %, ` +
    `${r.clips} clips (rows: true class, columns: prediction)`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, ` +
    `sans-serif"><rect width="100%" height="100%" fill="#fff"/><text x="10" y="24" ` +
    `font-size="13">${title}</text>${cells.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Writes the report files into `dir`; returns their paths. */
export async function writeReport(r: VerifyResult, dir: string): Promise<Record<string, string>> {
  const files = {
    predictions: join(dir, 'predictions.csv'),
    perClass: join(dir, 'per_class.csv'),
    confusionCsv: join(dir, 'confusion.csv'),
    confusionPng: join(dir, 'confusion.png'),
    json: join(dir, 'verify.json'),
  };
  writeFileAtomically(files.predictions, predictionsCsv(r));
  writeFileAtomically(files.perClass, perClassCsv(r));
  writeFileAtomically(files.confusionCsv, confusionCsv(r));
  writeFileAtomically(files.confusionPng, await confusionPng(r));
  const { predictions: _omit, ...summary } = r;
  writeFileAtomically(files.json, `${JSON.stringify(summary, null, 2)}\n`);
  return files;
}
