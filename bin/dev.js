#!/usr/bin/env -S node --import tsx --no-warnings
import { execute } from '@oclif/core';

// Runs the TypeScript sources directly (no build step): oclif's development mode loads src/commands through tsx.
await execute({ development: true, dir: import.meta.url });
