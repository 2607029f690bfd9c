/** verify's result as a person reads it (the command's text output, shared by verify and verify merge). */
import type { VerifyResult } from './types.js';

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}

/** What the crops and frames were beyond their count: mirrored classes read swapped, Flow frames. */
function cropNotes(r: VerifyResult): string {
  const { flipLabelMap, flow } = r.protocol;
  const flip = flipLabelMap ? ` (flipped views read with ${flipLabelMap.length} mirrored class pair(s) swapped)` : '';
  const frames = flow
    ? `, flow: ${flow.newLength} x/y pairs a segment from ${flow.framesDir}/<id>/${flow.template}`
    : '';
  return flip + frames;
}

/** How the clips were turned into scores, in a few words. */
function protocolText(r: VerifyResult): string {
  const st = r.protocol.streaming;
  if (st)
    return (
      `streamed frame by frame at stride ${st.stride} (window ${st.window}, stable ` +
      `${st.stableFrames}${st.declaredByModel ? '' : '; the model declares no protocol'}), counted by ` +
      `the last reported gesture`
    );
  const m = r.protocol.mmaction2;
  if (m) {
    const s = m.sampling;
    return (
      `MMAction2 protocol (${m.source === 'model' ? "the model's" : 'defaults'}): ${r.protocol.segments} segments, ` +
      `SampleFrames ${s.clipLen}×${s.frameInterval}×${s.numClips}${s.twiceSample ? ' twice' : ''} from index ` +
      `${m.startIndex}, ${m.crop.kind} crop, '${m.averageClips}' averaging, ${r.protocol.viewsPerClip} views a clip, ` +
      r.protocol.resize
    );
  }
  return `${r.protocol.segments} segments, ${r.protocol.sampling} sampling, ${r.protocol.crops} crop(s)${cropNotes(r)}`;
}

export function renderVerify(r: VerifyResult, report?: Record<string, string>): string {
  const how = protocolText(r);
  const lines = [
    `${r.model} on ${r.dataset} (${r.root}): ${r.clips} clips, ${how}, scale ${r.protocol.scaleShortSide} ` +
      `→ ${r.protocol.cropSize}`,
    `top-1 ${pct(r.top1)}   top-5 ${pct(r.top5)}   mean class accuracy ${pct(r.meanClassAccuracy)}`,
    `${r.clipsPerSecond.toFixed(1)} clips/s steady state; set-up (model, session) ` +
      `${r.timing.setupSeconds.toFixed(2)} s, first batch ${r.timing.firstBatchSeconds.toFixed(2)} s; ` +
      `${r.timing.overallClipsPerSecond.toFixed(1)} clips/s overall`,
  ];
  const present = r.perClass.filter((c) => c.clips > 0);
  const width = Math.max(...present.map((c) => c.label.length));
  lines.push('', `${'class'.padEnd(width)}  clips  accuracy`);
  for (const c of present)
    lines.push(`${c.label.padEnd(width)}  ${String(c.clips).padStart(5)}  ${pct(c.accuracy as number).padStart(8)}`);
  if (r.missingFrames.count)
    lines.push(
      '',
      `${r.missingFrames.count} missing/unreadable frame(s) replaced by frame 1, e.g. ${r.missingFrames.first[0].path}`,
    );
  for (const u of r.unreadableClips.slice(0, 5))
    lines.push(`clip ${u.clip} (list line ${u.line}) skipped: ${u.reason}`);
  for (const b of r.badLines.slice(0, 5)) lines.push(`list line ${b.line} ignored: ${b.reason}`);
  if (r.parity) {
    const p = r.parity;
    lines.push(
      '',
      `parity with ${p.reference}: same prediction on ${p.samePrediction}/${p.clips} clips ` +
        `(${pct(p.samePredictionFraction)}), max |Δscore| ${p.maxAbsScoreDelta.toExponential(2)}, reference ` +
        `top-1 ${pct(p.referenceTop1)}`,
    );
  }
  if (report) lines.push('', `report: ${Object.values(report).join(', ')}`);
  return lines.join('\n');
}
