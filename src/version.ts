import { readFileSync } from 'node:fs';

/** tsm's own version, from package.json (recorded in every exported model). */
export const TSM_VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
