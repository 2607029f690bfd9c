/**
 * Which zoo a command or an app reads when none is named: `--zoo` (or the app's option), else `TSM_ZOO`, else a
 * zoo.json in the working folder, else the zoo.json the tsm package ships (its published artifacts beside it), so an
 * installed package finds its models from any folder.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type ZooOrigin = 'flag' | 'env' | 'cwd' | 'package';

export interface ZooLocation {
  /** a path or an http(s) / file: URL */
  readonly location: string;
  readonly from: ZooOrigin;
}

/** The package's own zoo.json (dist/zoo/ → the package root). */
export const PACKAGE_ZOO = fileURLToPath(new URL('../../zoo.json', import.meta.url));

export function locateZoo(given?: string): ZooLocation {
  if (given) return { location: given, from: 'flag' };
  if (process.env.TSM_ZOO) return { location: process.env.TSM_ZOO, from: 'env' };
  if (existsSync('zoo.json')) return { location: 'zoo.json', from: 'cwd' };
  return { location: PACKAGE_ZOO, from: 'package' };
}

/** How a header line names the zoo: `zoo.json (working folder)`. */
export function describeZoo(zoo: ZooLocation): string {
  const why = { flag: '--zoo', env: 'TSM_ZOO', cwd: 'working folder', package: "tsm's own" }[zoo.from];
  return `${zoo.location} (${why})`;
}
