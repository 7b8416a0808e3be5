// A slave's TAP renamed where it lives — `ip link set ipvl0 name eth0` in the container's
// namespace, as container runtimes do — stays the same slave: traffic keeps flowing,
// the state file remembers the TAP's new name, and a restarted daemon finds it again.
// (It used to look for the old name, decide the TAP was gone and delete the slave.)
// Renaming through the daemon is refused with a pointer to ip(8).
// Root only; traffic stays inside the namespaces this file creates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addSlave, pingCount, startDaemonTopology, waitFor } from './daemon-helpers.ts';
import type { DaemonTopology } from './daemon-helpers.ts';
import { linuxTestsAvailable } from './netns.ts';

const skip = !linuxTestsAvailable();

const UP = '10.231.52.1';
const S0 = '10.231.52.10';
const S1 = '10.231.52.11';

describe('ipvlan daemon, a TAP renamed in its namespace (root, real namespaces)', { skip }, () => {
  let t: DaemonTopology<'c0' | 'c1'>;
  let s0: string;
  let s1: string;

  before(async () => {
    t = await startDaemonTopology({ upstreamAddr: `${UP}/24`, slaveNamespaces: ['c0', 'c1'] });
    s0 = t.box.ifName('s0');
    s1 = t.box.ifName('s1');
    addSlave(t, s0, t.ns.c0);
    addSlave(t, s1, t.ns.c1);
    // Both containers call theirs eth0.
    for (const [ns, name, addr] of [
      [t.ns.c0, s0, S0],
      [t.ns.c1, s1, S1],
    ] as const) {
      t.box.ip(ns, 'link', 'set', name, 'name', 'eth0');
      t.box.ip(ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      t.box.ip(ns, 'link', 'set', 'eth0', 'up');
    }
  });

  after(() => t?.stop());

  const state = (): { slaves: { name: string; tap?: string }[] } =>
    JSON.parse(readFileSync(join(t.d.stateDir, 'state.json'), 'utf8')) as {
      slaves: { name: string; tap?: string }[];
    };

  test('traffic flows, the slaves keep their names, the state records the TAPs as eth0', async () => {
    assert.ok(pingCount(t.box, t.ns.c0, S1, 2) >= 2, 'c0 → c1');
    assert.ok(pingCount(t.box, t.upstream, S0, 2) >= 2, 'upstream → c0');
    // Well past the second after which a TAP found nowhere deletes its slave.
    await new Promise((r) => setTimeout(r, 1500));
    const show = t.d.linkOk('show');
    assert.match(show, new RegExp(`: ${s0}@`));
    assert.match(show, new RegExp(`: ${s1}@`));
    assert.ok(
      await waitFor(() => state().slaves.every((s) => s.tap === 'eth0')),
      JSON.stringify(state()),
    );
    assert.doesNotMatch(t.d.log, /its TAP is gone/);
    assert.match(t.d.log, new RegExp(`${s0}: its TAP is now named eth0`));
  });

  test('restart: kill -9, start again; the renamed TAPs are found and traffic resumes', async () => {
    await t.d.kill9();
    await t.d.start();
    assert.ok(await waitFor(() => /restored 2 of 2 slaves/.test(t.d.log)), t.d.log);
    assert.ok(pingCount(t.box, t.ns.c1, S0, 2) >= 2, 'c1 → c0');
    assert.ok(pingCount(t.box, t.ns.c0, UP, 2) >= 2, 'c0 → upstream');
  });

  test('renaming through the daemon is refused, pointing to ip(8)', () => {
    const r = t.d.link('set', s0, 'name', 'other');
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      /rename the TAP with ip link set eth0 name other in its namespace instead/,
    );
    assert.match(t.d.linkOk('show', s0), new RegExp(`: ${s0}@`));
  });

  test('ip link del eth0 in the container deletes the slave, as it deletes a kernel ipvlan', async () => {
    t.box.ip(t.ns.c1, 'link', 'del', 'eth0');
    assert.ok(await waitFor(() => !t.d.linkOk('show').includes(`: ${s1}@`)), t.d.log);
    // Whichever notices first: the I/O worker (EPOLLERR on the fd) or the watcher
    // (RTM_DELLINK, then TUNGETIFF on the fd answers EBADFD).
    const gone = new RegExp(`${s1}: its TAP (is gone|failed \\(the device is gone)`);
    assert.ok(await waitFor(() => gone.test(t.d.log)), t.d.log);
    assert.ok(await waitFor(() => state().slaves.length === 1));
  });
});
