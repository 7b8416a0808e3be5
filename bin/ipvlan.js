#!/usr/bin/env node
// The package's command: loads the TypeScript sources through tsx, so a checkout
// works after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/bin/ipvlan.ts');
