import { Flags } from '@oclif/core';

const DEFAULT = "default: $TSM_ZOO, else ./zoo.json, else tsm's own";

/** `--zoo` of the commands that read a zoo: with none, TSM_ZOO, else ./zoo.json, else the package's (zoo/locate.ts). */
export const zooFlag = (what = 'zoo index') =>
  Flags.string({
    description: `${what}: a path, a folder or an http(s)/file: URL (${DEFAULT})`,
  });
