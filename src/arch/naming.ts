/**
 * TSM weight file names: TSM_{dataset}_{modality}_{arch}[_shift{div}_{place}][_tpool]_{consensus}_segment{T}_e{epochs}
 * [_dense][_nl].pth (mit-han-lab/temporal-shift-module main.py). Only the base name is parsed: a directory called
 * `…shift…` must not turn a TSN into a TSM.
 */
import { basename } from 'node:path';

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

const PATTERN =
  /^TSM_(?<dataset>[A-Za-z0-9-]+)_(?<modality>RGB|Flow|RGBDiff)_(?<arch>[A-Za-z0-9]+?)(?:_shift(?<div>\d+)_(?<place>blockres|block))?(?<tpool>_tpool)?_(?<consensus>avg|max|identity)_segment(?<segments>\d+)_e(?<epochs>\d+)(?<dense>_dense)?(?<nl>_nl)?(?:\.pth(?:\.tar)?|\.pt|\.safetensors)?$/;

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
