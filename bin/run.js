#!/usr/bin/env node
import { flush, run } from '@oclif/core';
import { handleTopLevelError } from '../dist/cli/top-level.js';

await run(process.argv.slice(2), import.meta.url)
  .then(() => flush())
  .catch((err) => handleTopLevelError(err, process.argv.slice(2), import.meta.url));
