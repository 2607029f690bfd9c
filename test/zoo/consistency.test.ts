import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { parseTsmFileName } from '../../src/arch/naming.js';
import { detectArch } from '../../src/arch/registry.js';
import { summarizeArch } from '../../src/arch/summary.js';
import { isTsmError } from '../../src/errors.js';
import { readCheckpointFile } from '../../src/pth/read.js';
import { loadZoo, validateZooFile, type ZooEntry } from '../../src/zoo/index.js';
import { ROOT } from '../helpers/cli.js';
import { ensureMmaVariants, mmaPath } from '../helpers/mma-reference.js';
import { ensureVariants, VARIANTS_DIR } from '../helpers/reference.js';

/**
 * zoo.json against what the code does today: every entry's status, arch and notes must agree with the converter run on
 * a checkpoint of that layout (PyTorch-made reference variants stand in for the upstream files, which cannot be
 * downloaded here), and every published entry must carry what it claims.
 */
const zoo = loadZoo(join(ROOT, 'zoo.json'));
const MMACTION2 = 'open-mmlab/mmaction2';
const variants = ensureVariants();
const BUNDLED = new Map([
  [
    'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth',
    'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth',
  ],
  [
    'TSM_jester_RGB_mobilenetv2_avg_segment8_e14.pth',
    'fixtures/models/TSM_jester_RGB_mobilenetv2_avg_segment8_e14.pth',
  ],
  ['mobilenetv2_jester_online_mini.pth.tar', 'fixtures/models/online/mobilenetv2_jester_online_mini.pth.tar'],
]);

/** A checkpoint with the entry's layout: the bundled file itself, or a reference variant of the same backbone and
 * shift. */
function checkpointFor(entry: ZooEntry): string {
  if (entry.source.origin === MMACTION2) return mmaCheckpointFor(entry);
  const bundled = BUNDLED.get(entry.source.fileName);
  if (bundled) return join(ROOT, bundled);
  const a = entry.arch;
  const pick = (id: string) => join(VARIANTS_DIR, variants[id].file);
  if (a.kind === 'online') return join(ROOT, 'fixtures/models/online/mobilenetv2_jester_online_mini.pth.tar');
  if (a.kind === 'image') return pick('imagenet_mbv2');
  if (a.backbone === 'mobilenetv2')
    return pick(
      a.shiftPlace === 'none' ? 'tsn_mbv2' : a.shiftLayout === 'embedded' ? 'mbv2_embedded' : 'mbv2_official',
    );
  if (a.backbone === 'resnet101') return pick('r101');
  if (a.backbone === 'resnet50' && a.nonLocal) return pick(a.modality === 'Flow' ? 'flow_nl_r50' : 'nl_r50');
  if (a.backbone === 'resnet50' && a.modality === 'Flow') return pick('flow_r50');
  if (a.backbone === 'resnet50' && a.temporalPool) return pick('r50_tpool');
  if (a.backbone === 'resnet50')
    return pick(a.shiftPlace === 'none' ? 'tsn_r50' : a.shiftPlace === 'block' ? 'r50_block' : 'r50_blockres');
  throw new Error(`no reference checkpoint for ${entry.id} (${a.name})`);
}

/**
 * MMAction2 entries: an MMAction2 reference variant of the same kind (tools/reference/mmaction2). Its config decides
 * where it has one; the plain R50 and MobileNetV2 files have none, so the entry's file name (`1x1x16`) decides.
 */
function mmaCheckpointFor(entry: ZooEntry): string {
  const v = ensureMmaVariants();
  const a = entry.arch;
  const pick = (id: string) => mmaPath(v[id]);
  if (a.kind === 'tsn') return pick('tsn_r50');
  if (a.backbone === 'mobilenetv2') return pick('tsm_mbv2_state_dict_only');
  if (a.backbone === 'resnet101') return pick('tsm_r101_sthv2');
  if (a.nonLocal) {
    if (entry.id.includes('dot-product')) return pick('tsm_r50_nl_dot_product');
    if (entry.id.includes('nl-gaussian')) return pick('tsm_r50_nl_gaussian');
    return pick(entry.id.includes('-0x-') ? 'tsm_r50_nl_embedded_gaussian_0x' : 'tsm_r50_nl_embedded_gaussian');
  }
  return pick('tsm_r50_bare');
}

function detectFor(entry: ZooEntry) {
  const ckpt = readCheckpointFile(checkpointFor(entry));
  const named = parseTsmFileName(entry.source.fileName);
  const segments =
    named && named.segments !== entry.arch.segments && entry.arch.kind !== 'online' ? entry.arch.segments : undefined;
  return detectArch(ckpt.stateDict, {
    fileName: entry.source.fileName,
    overrides: { segments, online: entry.arch.kind === 'online' },
    meta: ckpt.meta,
  });
}

describe('zoo.json agrees with the converter', () => {
  for (const entry of zoo.models) {
    it(`${entry.id}@${entry.version} (${entry.status})`, () => {
      if (entry.status === 'unsupported') {
        let error: unknown;
        try {
          detectFor(entry);
        } catch (err) {
          error = err;
        }
        expect(
          isTsmError(error) && error.family,
          `${entry.id} is listed unsupported, but convert accepts its layout`,
        ).toBe('unsupported');
        // the note names what the converter says
        expect(entry.notes ?? '').toContain((error as { code: string }).code);
        return;
      }
      const { spec } = detectFor(entry);
      const got = summarizeArch(spec) as unknown as Record<string, unknown>;
      // the reference checkpoints are small: their class count and width may differ from the upstream file's
      const compared = [
        'name',
        'kind',
        'backbone',
        'segments',
        'shiftDiv',
        'shiftPlace',
        'shiftLayout',
        'shiftedBlocks',
        'consensus',
        'inputSize',
        'nonLocal',
        'temporalPool',
        'modality',
      ] as const;
      const own = entry.arch as unknown as Record<string, unknown>;
      for (const key of compared)
        if (own[key] !== undefined && (key !== 'shiftedBlocks' || BUNDLED.has(entry.source.fileName)))
          expect(got[key], `${entry.id}: arch.${key}`).toEqual(own[key]);
      // the model family's features both ways: an entry without them must not get a checkpoint that has them
      for (const key of ['nonLocal', 'temporalPool', 'modality'] as const)
        expect(got[key], `${entry.id}: arch.${key}`).toEqual(own[key]);
      if (entry.notes && /not yet|unsupported|refuses/i.test(entry.notes))
        throw new Error(`${entry.id}: the note says the converter cannot, but it can: ${entry.notes}`);
    });
  }

  it(
    'published entries: artifacts match their checksums, verification is recorded, and the ONNX ' +
      'says what the entry says',
    () => {
      const report = validateZooFile(join(ROOT, 'zoo.json'));
      expect(report.issues).toEqual([]);
      for (const entry of zoo.models.filter((m) => m.status === 'published')) {
        expect(entry.verification, entry.id).not.toBeNull();
        const artifact = entry.artifacts.find((a) => a.url);
        expect(artifact, entry.id).toBeDefined();
        const model = onnxProto.onnx.ModelProto.decode(readFileSync(join(ROOT, artifact!.url!)));
        const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
        expect(JSON.parse(meta['tsm.arch']), entry.id).toMatchObject(entry.arch);
        expect(JSON.parse(meta['tsm.labels']), entry.id).toEqual(entry.labels);
        if (entry.arch.kind === 'online') {
          expect(entry.streaming, entry.id).toBeDefined();
          expect(JSON.parse(meta['tsm.streaming']), entry.id).toEqual(entry.streaming);
          expect(entry.verification?.protocol.sampling).toBe('stream');
          expect(entry.verification?.protocol.streaming).toMatchObject({ ...entry.streaming, declaredByModel: true });
        }
      }
    },
  );

  it('models trained on the synthetic mini set say so everywhere: never the real dataset id', () => {
    for (const entry of zoo.models) {
      const synthetic = BUNDLED.has(entry.source.fileName);
      if (synthetic) {
        expect(entry.dataset, entry.id).toBe('jester-mini');
        if (entry.verification) expect(entry.verification.dataset, entry.id).toBe('jester-mini');
      } else {
        expect(entry.dataset, entry.id).not.toMatch(/mini/);
      }
      if (entry.status === 'source-only')
        expect(existsSync(join(ROOT, 'zoo', entry.id)), `${entry.id} is source-only but has files under zoo/`).toBe(
          false,
        );
    }
  });
});
