#!/usr/bin/env -S npx tsx
// Runs the TypeScript sources directly (no build step); needs tsx on PATH.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
