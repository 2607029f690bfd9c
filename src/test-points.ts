/**
 * Named points inside long writes where a test can stop tsm deterministically. With TSM_TEST_PAUSE=<point>, reaching
 * that point announces it on stderr (`tsm-test-pause: <point>`) and sleeps, so that a kill sent on reading the line
 * lands exactly there. Without the variable a point costs one comparison.
 */
import { writeSync } from 'node:fs';

export function testPoint(point: string): void {
  const wanted = process.env.TSM_TEST_PAUSE;
  if (wanted === undefined || wanted !== point) return;
  writeSync(2, `tsm-test-pause: ${point}\n`);
  // blocks this thread (and so the whole CLI) without spinning; the test kills the process meanwhile
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
}
