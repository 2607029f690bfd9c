/** `tsm/zoo` in Node: the browser-safe client, reading `file:` zoos and artifacts from disk (fetch refuses them). */
import { readFile } from 'node:fs/promises';
import { setLocalReader } from './client.js';

setLocalReader(async (url) => new Uint8Array(await readFile(url)));

export * from './client.js';
