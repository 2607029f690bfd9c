import { ensureOnline, ensureVariants } from '../helpers/reference.js';

/** Generate the PyTorch reference variants once, before any test file runs. */
export default function setup(): void {
  ensureVariants();
  ensureOnline();
}
