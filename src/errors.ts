/**
 * One error type for everything `tsm` refuses. `code` is stable (tests and `--json` consumers match on it),
 * `kind` says whether the user can fix it, and `exitCode` is derived from the code's family in one place.
 */
import type { ErrorCode } from './error-codes.js';

export type { ErrorCode };
export type ErrorKind = 'user' | 'bug';

/** Exit codes by family; documented in README.md and docs/commands.md. */
export const EXIT_CODES = Object.freeze({
  usage: 2, // wrong flags or arguments
  input: 3, // a file is missing, unreadable, truncated or not what it claims to be
  unsafe: 4, // a pickle asked for something outside the allowlist
  unsupported: 5, // a well-formed checkpoint of an architecture or layout tsm does not handle
  verification: 6, // a model computed something other than its reference
  conflict: 7, // an output already exists / a publish would overwrite a version
  network: 8,
  bug: 70,
} as const);

export type ErrorFamily = keyof typeof EXIT_CODES;

export interface TsmErrorOptions {
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class TsmError extends Error {
  readonly code: ErrorCode;
  readonly family: ErrorFamily;
  readonly hint?: string;
  readonly details: Record<string, unknown>;

  constructor(family: ErrorFamily, code: ErrorCode, message: string, options: TsmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TsmError';
    this.family = family;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  get kind(): ErrorKind {
    return this.family === 'bug' ? 'bug' : 'user';
  }

  get exitCode(): number {
    return EXIT_CODES[this.family];
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, family: this.family, message: this.message, hint: this.hint, ...this.details };
  }
}

export function isTsmError(value: unknown): value is TsmError {
  return value instanceof TsmError;
}

/** Anything that is not a TsmError is a bug in tsm by definition. */
export function asTsmError(value: unknown): TsmError {
  if (value instanceof TsmError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new TsmError('bug', 'E_INTERNAL', `internal error: ${message}`, { cause: value });
}
