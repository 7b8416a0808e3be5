// The real master's life as ipvlan's netdevice notifier sees it: set down and up again,
// the data path comes back (the packet socket's ENETDOWN is transient; it used to end
// the master's I/O for good); deleted, it takes every slave with it (DEL-2): their TAPs
// vanish from their namespaces, the state and the nft tables forget them.
// Root only; traffic stays inside the namespaces this file creates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addSlave, pingCount, startDaemonTopology, waitFor } from './daemon-helpers.ts';
import type { DaemonTopology } from './daemon-helpers.ts';
import { linuxTestsAvailable } from './netns.ts';

const skip = !linuxTestsAvailable();

const UP = '10.231.55.1';
const S0 = '10.231.55.10';
const S1 = '10.231.55.11';

describe(
  "ipvlan daemon, the master's down/up and deletion (root, real namespaces)",
  { skip },
  () => {
    let t: DaemonTopology<'n0' | 'n1'>;
    let s0: string;
    let s1: string;

    before(async () => {
      t = await startDaemonTopology({ upstreamAddr: `${UP}/24`, slaveNamespaces: ['n0', 'n1'] });
      s0 = t.box.ifName('s0');
      s1 = t.box.ifName('s1');
      addSlave(t, s0, t.ns.n0, { cidr: `${S0}/24` });
      addSlave(t, s1, t.ns.n1, { cidr: `${S1}/24` });
      assert.ok(pingCount(t.box, t.ns.n0, UP, 2) >= 2, 'slave → upstream before');
    });

    after(() => t?.stop());

    test('master down, then up: traffic to the upstream resumes', async () => {
      t.box.ip(t.home, 'link', 'set', t.master, 'down');
      assert.equal(pingCount(t.box, t.ns.n0, UP, 1, 1), 0, 'nothing passes a down master');
      t.box.ip(t.home, 'link', 'set', t.master, 'up');
      assert.ok(
        await waitFor(() => pingCount(t.box, t.ns.n0, UP, 1, 2) >= 1, 10_000),
        `slave → upstream after up: ${t.d.log}`,
      );
      assert.ok(pingCount(t.box, t.upstream, S1, 2) >= 2, 'upstream → slave after up');
      assert.doesNotMatch(t.d.log, /I\/O failed/);
    });

    test('master deleted: every slave and its TAP go with it (DEL-2)', async () => {
      t.box.ip(t.home, 'link', 'del', t.master);
      assert.ok(await waitFor(() => !/ipvlan/.test(t.d.linkOk('show', '-d'))), t.d.log);
      for (const [ns, name] of [
        [t.ns.n0, s0],
        [t.ns.n1, s1],
      ] as const)
        assert.doesNotMatch(t.box.ip(ns, 'link', 'show'), new RegExp(name), `${name} in ${ns}`);
      const state = JSON.parse(readFileSync(join(t.d.stateDir, 'state.json'), 'utf8')) as {
        slaves: unknown[];
      };
      assert.deepEqual(state.slaves, []);
      assert.doesNotMatch(t.box.execOk(t.home, ['nft', 'list', 'tables']), /ipvlan_ts_/);
      const why = new RegExp(`${s0}: its master ${t.master} is gone`);
      assert.ok(await waitFor(() => why.test(t.d.log)), t.d.log);
    });
  },
);
