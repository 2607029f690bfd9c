/**
 * TSM weight file names: TSM_{dataset}_{modality}_{arch}[_shift{div}_{place}][_tpool]_{consensus}_segment{T}_e{epochs}
 * [_dense][_nl].pth (mit-han-lab/temporal-shift-module main.py). parseTsmFileName reads the base name only: a
 * directory called `…shift…` must not turn a TSN into a TSM. findTsmName also reads the one folder upstream's
 * main.py saves a run in (`<store_name>/ckpt.pth.tar`, `ckpt.best.pth.tar`), and only then.
 */
import { basename, dirname, resolve } from 'node:path';

export interface TsmFileName {
  readonly dataset: string;
  readonly modality: string;
  /** lower-cased: the embedded fork's `MobileNetV2` and the official `mobilenetv2` are the same arch */
  readonly arch: string;
  readonly shiftDiv?: number;
  readonly shiftPlace?: string;
  readonly temporalPool: boolean;
  readonly consensus: string;
  readonly segments: number;
  readonly epochs: number;
  readonly dense: boolean;
  readonly nonLocal: boolean;
}

/** The name main.py gives a run, token by token. */
const PATTERN = new RegExp(
  [
    '^TSM_(?<dataset>[A-Za-z0-9-]+)',
    '_(?<modality>RGB|Flow|RGBDiff)',
    '_(?<arch>[A-Za-z0-9]+?)',
    '(?:_shift(?<div>\\d+)_(?<place>blockres|block))?',
    '(?<tpool>_tpool)?',
    '_(?<consensus>avg|max|identity)',
    '_segment(?<segments>\\d+)',
    '_e(?<epochs>\\d+)',
    '(?<dense>_dense)?',
    '(?<nl>_nl)?',
    '(?:\\.pth(?:\\.tar)?|\\.pt|\\.safetensors)?$',
  ].join(''),
);

export function parseTsmFileName(path: string): TsmFileName | undefined {
  const m = PATTERN.exec(basename(path));
  if (!m?.groups) return undefined;
  const g = m.groups;
  return {
    dataset: g.dataset,
    modality: g.modality,
    arch: g.arch.toLowerCase(),
    shiftDiv: g.div ? Number(g.div) : undefined,
    shiftPlace: g.place,
    temporalPool: Boolean(g.tpool),
    consensus: g.consensus,
    segments: Number(g.segments),
    epochs: Number(g.epochs),
    dense: Boolean(g.dense),
    nonLocal: Boolean(g.nl),
  };
}

/** A checkpoint's TSM name and where it was read. */
export interface NamedConfig {
  /** `file`: the checkpoint's own base name; `folder`: the name of the folder it lies in */
  readonly from: 'file' | 'folder';
  /** the name that was parsed */
  readonly name: string;
  readonly config: TsmFileName;
}

/**
 * The TSM name of the checkpoint at `path`: its base name's, else — only when the base name is no TSM name at all
 * (does not start with `TSM_`) — its immediate parent folder's, which must itself be a full TSM name. upstream
 * main.py saves a run as `<store_name>/ckpt.pth.tar` with the config in `<store_name>`. A relative path's folder is
 * read against the working folder. The weights still decide the architecture (a folder cannot make a TSN a TSM).
 */
export function findTsmName(path: string): NamedConfig | undefined {
  const name = basename(path);
  const own = parseTsmFileName(name);
  if (own) return { from: 'file', name, config: own };
  if (name.startsWith('TSM_')) return undefined;
  const folder = basename(dirname(resolve(path)));
  const config = parseTsmFileName(folder);
  return config ? { from: 'folder', name: folder, config } : undefined;
}
