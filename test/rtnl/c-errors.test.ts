// Link error paths and configuration changes of ../fixtures/oracle/c-errors.out
// (Linux 6.1): each chunk runs the sections' recorded `ip` commands on a fresh kernel.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, replay, type ReplayChunk } from './replay.ts';

const CHUNKS: readonly (ReplayChunk & { readonly name: string; readonly count: number })[] = [
  { name: 'ipvlan on lo and without a master is EINVAL', sections: ['c2:', 'c2b:'], count: 4 },
  {
    name: 'ipvlan on an ipvlan slave is flattened onto the master',
    sections: ['c3:'],
    setup: BASE,
    count: 10,
  },
  {
    name: 'bad mode and flag words; a later mode word wins',
    sections: ['c4:', 'c5:'],
    setup: BASE,
    count: 15,
  },
  {
    name: 'changing the mode of one slave changes the whole port',
    sections: ['c6:', 'c6b:', 'c6b2:'],
    setup: BASE,
    count: 43,
  },
  {
    name: 'slave MAC changes are EOPNOTSUPP; the master MAC propagates with permaddr',
    sections: ['c7:'],
    setup: BASE,
    count: 13,
  },
  {
    name: 'slave MTU range, extack texts, and MTU following the master',
    sections: ['c8:'],
    setup: BASE,
    count: 21,
  },
  { name: 'veth master: MTU up to 65535', sections: ['c8b:'], maskMacs: true, count: 11 },
  {
    name: 'deleting the master deletes slaves in other namespaces',
    sections: ['c9:'],
    setup: [...BASE, 'ip netns add ns0'],
    skip: / addr /,
    count: 9,
  },
  { name: 'master down leaves slaves up (M-DOWN)', sections: ['c9b:'], setup: BASE, count: 11 },
  { name: 'veth master carrier reaches the slave', sections: ['c9b2:'], maskMacs: true, count: 14 },
  {
    name: "deleting the master's namespace deletes slaves elsewhere",
    sections: ['c9c:'],
    setup: [...BASE, 'ip netns add nsM', 'ip netns add ns0'],
    count: 7,
  },
  {
    name: 'bridge port conflicts: EBUSY on a master, EINVAL on a slave',
    sections: ['c10:'],
    setup: BASE,
    skip: /macvlan|mvb/,
    maskMacs: true,
    count: 14,
  },
  {
    name: 'moving the master to another namespace keeps the slave (link-netns)',
    sections: ['c11:'],
    setup: [...BASE, 'ip netns add nsM'],
    count: 5,
  },
];

for (const chunk of CHUNKS) {
  test(`c-errors: ${chunk.name}`, async () => {
    const compared = await replay('c-errors', chunk);
    assert.equal(compared, chunk.count, 'number of commands compared');
  });
}
