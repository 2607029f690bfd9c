import { ensureMmaVariants, mmaRequirementsMet } from '../helpers/mma-reference.js';
import { ensureOnline, ensureVariants } from '../helpers/reference.js';

/**
 * Generate the PyTorch reference variants once, before any test file runs. The MMAction2 set needs OpenCV too:
 * without it the test files that use it report the missing requirement themselves (requireTool).
 */
export default function setup(): void {
  ensureVariants();
  ensureOnline();
  if (mmaRequirementsMet()) ensureMmaVariants();
}
