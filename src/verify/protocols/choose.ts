/**
 * Which test protocol a run uses: `--protocol` when given; otherwise MMAction2's for a model whose metadata carries
 * `tsm.mmaction2` (a converted MMAction2 checkpoint), TSM's for any other. A flag of the protocol not chosen is
 * refused by name (tsm.ts takes none of MMAction2's; mmaction2.ts none of TSM's).
 */
import { TsmError } from '../../errors.js';
import type { ClipSet } from '../../frames/clip-set.js';
import type { ModelInfo } from '../../inference/runner.js';
import { MMACTION2_PROTOCOL_KEY } from '../../model/mmaction2-protocol.js';
import type { VerifyOptions } from '../types.js';
import { mmactionProtocol } from './mmaction2.js';
import type { ClipProtocol, ProtocolName } from './protocol.js';
import { tsmProtocol } from './tsm.js';

/** MMAction2's flags as verify's options name them, and as the command line does. */
const MMACTION2_FLAGS = [
  ['numClips', '--num-clips'],
  ['crop', '--crop'],
  ['average', '--average'],
  ['startIndex', '--start-index'],
  ['shortSide', '--short-side'],
] as const;

export function protocolName(options: VerifyOptions, info: ModelInfo): ProtocolName {
  return options.protocol ?? (info.metadata[MMACTION2_PROTOCOL_KEY] !== undefined ? 'mmaction2' : 'tsm');
}

export function chooseProtocol(options: VerifyOptions, info: ModelInfo, inputs: ClipSet): ClipProtocol {
  const name = protocolName(options, info);
  if (name === 'mmaction2') return mmactionProtocol(options, info, inputs);
  const given = MMACTION2_FLAGS.find(([key]) => options.mmaction2?.[key] !== undefined);
  if (given) {
    const why = options.protocol
      ? 'this run uses --protocol tsm'
      : `${options.model} has no ${MMACTION2_PROTOCOL_KEY} metadata, so this run uses TSM's`;
    throw new TsmError('usage', 'E_FLAG_CONFLICT', `${given[1]} belongs to the MMAction2 protocol; ${why}`, {
      hint: 'pass --protocol mmaction2',
      details: { flag: given[1], protocol: 'tsm' },
    });
  }
  return tsmProtocol(options, info, inputs);
}
