// IPv6 through the daemon in L2: neighbour discovery between slaves and with the
// upstream (solicitations are multicast to solicited-node groups that the slaves' own
// kernels joined on their TAPs), then ping -6 every way. Also the shared-MAC link-local
// address: only one slave keeps fe80::…, as with kernel ipvlan (ADDR-1).
// Root only; traffic stays inside the namespaces this file creates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addSlave, pingCount, startDaemonTopology, waitFor } from './daemon-helpers.ts';
import type { DaemonTopology } from './daemon-helpers.ts';
import { linuxTestsAvailable } from './netns.ts';

const skip = !linuxTestsAvailable();

const UP = 'fd00:231:50::1';
const S0 = 'fd00:231:50::10';
const S1 = 'fd00:231:50::11';

describe('ipvlan daemon, L2 over IPv6 (root, real namespaces)', { skip }, () => {
  let t: DaemonTopology<'ns0' | 'ns1'>;
  let s0: string;
  let s1: string;

  before(async () => {
    t = await startDaemonTopology({ upstreamAddr: `${UP}/64`, slaveNamespaces: ['ns0', 'ns1'] });
    s0 = t.box.ifName('s0');
    s1 = t.box.ifName('s1');
    addSlave(t, s0, t.ns.ns0, { cidr: `${S0}/64` });
    addSlave(t, s1, t.ns.ns1, { cidr: `${S1}/64` });
    // DAD (about a second) before the addresses can be used.
    const ready = (ns: string, dev: string): boolean =>
      !/tentative/.test(t.box.ip(ns, '-6', 'addr', 'show', 'dev', dev));
    assert.ok(await waitFor(() => ready(t.ns.ns0, s0) && ready(t.ns.ns1, s1), 10_000));
  });

  after(() => t?.stop());

  test('ping -6 slave↔slave, slave→upstream and upstream→slave, with neighbour discovery', () => {
    assert.ok(pingCount(t.box, t.ns.ns0, S1, 2) >= 2, 'ns0 → ns1');
    assert.ok(pingCount(t.box, t.ns.ns1, S0, 2) >= 2, 'ns1 → ns0');
    assert.ok(pingCount(t.box, t.ns.ns0, UP, 2) >= 2, 'ns0 → upstream');
    assert.ok(pingCount(t.box, t.upstream, S1, 2) >= 2, 'upstream → ns1');
    // The neighbours were learned by ND (not configured): each slave knows the other by
    // the shared MAC, which is the master's.
    const mac = /link\/ether ([0-9a-f:]+)/.exec(t.box.ip(t.home, 'link', 'show', t.master))?.[1];
    assert.ok(mac !== undefined);
    assert.match(t.box.ip(t.ns.ns0, '-6', 'neigh', 'show', S1), new RegExp(`lladdr ${mac} `));
    assert.match(t.box.ip(t.upstream, '-6', 'neigh', 'show', S1), new RegExp(`lladdr ${mac} `));
  });

  test('the shared link-local address stays on one slave only (EADDRINUSE for the other)', () => {
    const ll = (ns: string, dev: string): string[] =>
      [
        ...t.box.ip(ns, '-6', 'addr', 'show', 'dev', dev, 'scope', 'link').matchAll(/inet6 (\S+)/g),
      ].map((m) => m[1] ?? '');
    const both = [...ll(t.ns.ns0, s0), ...ll(t.ns.ns1, s1)];
    assert.equal(both.length, 1, both.join(' '));
    assert.match(both[0] ?? '', /^fe80::/);
  });
});
