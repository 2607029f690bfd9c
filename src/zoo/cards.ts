/** Model cards rendered with @huggingface/jinja from templates/model-card.md.jinja. */
import { readFileSync } from 'node:fs';
import { Template } from '@huggingface/jinja';
import type { ZooEntry } from './types.js';

const TEMPLATE_PATH = new URL('../../templates/model-card.md.jinja', import.meta.url);

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(2)} %`);

export interface CardExtras {
  readonly description?: string;
  readonly perClass?: ReadonlyArray<{ label: string; clips: number; accuracy: number | null }>;
  /** artifact path as a user of the card would load it */
  readonly artifactPath?: string;
}

export function renderModelCard(entry: ZooEntry, extras: CardExtras = {}): string {
  const artifact = entry.artifacts[0];
  const template = new Template(readFileSync(TEMPLATE_PATH, 'utf8'));
  const v = entry.verification;
  return template.render({
    ...entry,
    title: entry.title ?? `${entry.arch.name} — ${entry.dataset}`,
    description: extras.description ?? entry.notes ?? '',
    artifact: { ...artifact, path: extras.artifactPath ?? artifact?.path ?? 'model.onnx' },
    input: artifact?.inputs[0] ?? { name: 'video', shape: [] },
    output: artifact?.outputs[0] ?? { name: 'logits', shape: [] },
    labels: entry.labels ?? [],
    percent: {
      top1: pct(v?.top1),
      top5: pct(v?.top5),
      meanClassAccuracy: pct(v?.meanClassAccuracy),
      samePrediction: pct(v?.parity?.samePredictionFraction),
    },
    perClass: (extras.perClass ?? [])
      .filter((c) => c.clips > 0)
      .map((c) => ({ ...c, percent: c.accuracy === null ? '–' : `${(c.accuracy * 100).toFixed(1)} %` })),
  });
}
