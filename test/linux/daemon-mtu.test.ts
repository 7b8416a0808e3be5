// The Linux data-plane daemon following the real master, as ipvlan's netdevice notifier
// follows its master (ipvlan_device_event): a master MTU change overwrites every slave's
// MTU, a custom one included (MTU-3), in the engine and on the slaves' TAPs in their
// namespaces; an MTU the TAP cannot take leaves TAP and engine slave agreeing; a carrier
// loss while the master is up reaches the slaves (LINK-1), also after a restart. Root
// only; the master is a veth end whose peer sits in an "upstream" namespace, and
// traffic stays inside the namespaces this file creates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pingCount, pingNoFrag, startDaemonTopology, waitFor } from './daemon-helpers.ts';
import type { DaemonProc, DaemonTopology } from './daemon-helpers.ts';
import { linuxTestsAvailable } from './netns.ts';
import type { Sandbox } from './netns.ts';

const skip = !linuxTestsAvailable();

const UP = '10.231.46.1';
const S0 = '10.231.46.10';
const S1 = '10.231.46.11';

/** The `mtu N` of `ip link show` output, or -1. */
function mtuOf(show: string): number {
  const m = / mtu (\d+) /.exec(show);
  return m === null ? -1 : Number(m[1]);
}

/** The flag list of `ip link show` output, e.g. "BROADCAST,MULTICAST,UP,LOWER_UP". */
function flagsOf(show: string): string {
  return /<([^>]*)>/.exec(show)?.[1] ?? '';
}

describe('ipvlan daemon follows the real master (root, real namespaces)', { skip }, () => {
  let t: DaemonTopology<'ns0' | 'ns1'> | undefined;
  let box: Sandbox;
  let d: DaemonProc;
  let home: string;
  let upstream: string;
  let ns0: string;
  let ns1: string;
  let master: string;
  let peer: string;
  let s0: string;
  let s1: string;

  /** The TAP's MTU as `ip link show` in its namespace prints it. */
  const tapMtu = (ns: string, dev: string): number => mtuOf(box.ip(ns, 'link', 'show', dev));
  /** The engine slave's MTU as `ipvlan link show` prints it. */
  const engineMtu = (dev: string): number => mtuOf(d.linkOk('show', dev));

  before(async () => {
    t = await startDaemonTopology({ upstreamAddr: `${UP}/24`, slaveNamespaces: ['ns0', 'ns1'] });
    ({ box, d, home, upstream, master, peer } = t);
    ({ ns0, ns1 } = t.ns);
    s0 = box.ifName('s0');
    s1 = box.ifName('s1');
    for (const [ns, dev, addr] of [
      [ns0, s0, S0],
      [ns1, s1, S1],
    ] as const) {
      d.linkOk('add', 'link', master, 'name', dev, 'type', 'ipvlan', 'mode', 'l2', 'netns', ns);
      box.ip(ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
      box.ip(ns, 'link', 'set', dev, 'up');
    }
    assert.ok(pingCount(box, ns0, S1, 1, 5) >= 1, 'slave → slave before any change');
  });

  after(() => t?.stop());

  test("a master MTU change overwrites every slave's MTU, a custom one included (MTU-3)", async () => {
    // A custom slave MTU first (MTU-2): the engine's slave takes the TAP's.
    box.ip(ns1, 'link', 'set', s1, 'mtu', '1400');
    assert.ok(await waitFor(() => engineMtu(s1) === 1400), d.linkOk('show', s1));

    box.ip(upstream, 'link', 'set', peer, 'mtu', '9000');
    box.ip(home, 'link', 'set', master, 'mtu', '9000');
    const followed = (): boolean =>
      tapMtu(ns0, s0) === 9000 &&
      tapMtu(ns1, s1) === 9000 &&
      engineMtu(s0) === 9000 &&
      engineMtu(s1) === 9000;
    assert.ok(await waitFor(followed), `${d.linkOk('show')}\n${d.log}`);
    assert.equal(mtuOf(d.linkOk('show', master)), 9000, "the engine's master");

    // 8000 bytes of ICMP, not fragmentable, slave to slave: only passes when both TAPs
    // and the receiving engine slave (dev_forward_skb, MTU-4) have the master's MTU.
    const big = pingNoFrag(box, ns0, S1, 8000);
    assert.match(big.stdout, /[12] received/, big.stdout + big.stderr);
    // And out through the real master to the upstream.
    const out = pingNoFrag(box, ns0, UP, 8000);
    assert.match(out.stdout, /[12] received/, out.stdout + out.stderr);
  });

  test('a smaller master MTU shrinks the slaves: larger packets no longer leave the slave', async () => {
    box.ip(home, 'link', 'set', master, 'mtu', '1300');
    const followed = (): boolean =>
      tapMtu(ns0, s0) === 1300 &&
      tapMtu(ns1, s1) === 1300 &&
      engineMtu(s0) === 1300 &&
      engineMtu(s1) === 1300;
    assert.ok(await waitFor(followed), `${d.linkOk('show')}\n${d.log}`);
    // The slave's own stack refuses what exceeds its (the TAP's) MTU.
    const big = box.exec(ns0, ['ping', '-c', '1', '-w', '2', '-M', 'do', '-s', '1400', S1]);
    assert.notEqual(big.status, 0);
    assert.match(big.stdout + big.stderr, /mtu=1300|message too long/i, big.stdout + big.stderr);
    const fits = pingNoFrag(box, ns0, S1, 1272);
    assert.match(fits.stdout, /[12] received/, fits.stdout + fits.stderr);
  });

  test("an MTU beyond the TAP's range: the TAP keeps its own and the engine's slave follows the TAP", async () => {
    // veth takes up to 65535 (ETH_MAX_MTU), an ipvlan slave too, a TAP only 65521.
    box.ip(home, 'link', 'set', master, 'mtu', '65535');
    assert.ok(await waitFor(() => d.log.includes(`${s0}: mtu 65535 not applied`)), `${d.log}`);
    assert.ok(await waitFor(() => mtuOf(d.linkOk('show', master)) === 65535), d.linkOk('show'));
    assert.equal(tapMtu(ns0, s0), 1300);
    assert.ok(
      await waitFor(() => engineMtu(s0) === 1300 && engineMtu(s1) === 1300),
      d.linkOk('show'),
    );
    box.ip(home, 'link', 'set', master, 'mtu', '1500');
    box.ip(upstream, 'link', 'set', peer, 'mtu', '1500');
    assert.ok(
      await waitFor(() => tapMtu(ns0, s0) === 1500 && engineMtu(s1) === 1500),
      d.linkOk('show'),
    );
    assert.ok(pingCount(box, ns0, UP, 1, 5) >= 1);
  });

  test('`ipvlan link set … mtu` changes the real devices, not only the engine', async () => {
    // A slave: its TAP takes it, the engine's slave too (MTU-2: above the master's is fine).
    d.linkOk('set', s0, 'mtu', '9000');
    assert.equal(tapMtu(ns0, s0), 9000);
    assert.equal(engineMtu(s0), 9000);
    // Out of the slave's range: Linux's extack, nothing changes.
    const big = d.link('set', s0, 'mtu', '65536');
    assert.equal(big.stderr, 'Error: mtu greater than device maximum.\n');
    // In the slave's range, beyond the TAP's: refused, TAP and engine still agree.
    assert.notEqual(d.link('set', s0, 'mtu', '65530').status, 0);
    assert.equal(tapMtu(ns0, s0), 9000);
    assert.equal(engineMtu(s0), 9000);
    // The master: the real one changes, and every slave follows it (MTU-3).
    d.linkOk('set', master, 'mtu', '1400');
    assert.equal(mtuOf(box.ip(home, 'link', 'show', master)), 1400);
    const followed = (): boolean =>
      tapMtu(ns0, s0) === 1400 &&
      tapMtu(ns1, s1) === 1400 &&
      engineMtu(s0) === 1400 &&
      engineMtu(s1) === 1400;
    assert.ok(await waitFor(followed), `${d.linkOk('show')}\n${d.log}`);
    d.linkOk('set', master, 'mtu', '1500');
    assert.ok(await waitFor(() => tapMtu(ns0, s0) === 1500 && engineMtu(s1) === 1500));
  });

  test('carrier lost while the master is up reaches the slaves and their TAPs (LINK-1)', async () => {
    // A veth loses its carrier when its peer goes down.
    box.ip(upstream, 'link', 'set', peer, 'down');
    assert.match(flagsOf(box.ip(home, 'link', 'show', master)), /NO-CARRIER/);
    const lost = (): boolean =>
      flagsOf(box.ip(ns0, 'link', 'show', s0)).startsWith('NO-CARRIER,') &&
      flagsOf(box.ip(ns1, 'link', 'show', s1)).startsWith('NO-CARRIER,') &&
      flagsOf(d.linkOk('show', s0)).startsWith('NO-CARRIER,');
    assert.ok(await waitFor(lost), `${box.ip(ns0, 'link', 'show', s0)}${d.linkOk('show')}`);
    assert.equal(pingCount(box, ns0, S1, 1, 1), 0, 'a slave without carrier cannot send (LINK-5)');

    box.ip(upstream, 'link', 'set', peer, 'up');
    const back = (): boolean =>
      flagsOf(box.ip(ns0, 'link', 'show', s0)) === 'BROADCAST,MULTICAST,UP,LOWER_UP' &&
      flagsOf(box.ip(ns1, 'link', 'show', s1)) === 'BROADCAST,MULTICAST,UP,LOWER_UP' &&
      flagsOf(d.linkOk('show', s0)) === 'BROADCAST,MULTICAST,UP,LOWER_UP';
    assert.ok(await waitFor(back), `${box.ip(ns0, 'link', 'show', s0)}${d.linkOk('show')}`);
    assert.ok(pingCount(box, ns0, UP, 1, 5) >= 1);
  });

  test('after kill -9 and a restart without carrier, the TAPs lose it again', async () => {
    box.ip(upstream, 'link', 'set', peer, 'down');
    await d.kill9();
    d.log = '';
    await d.start();
    assert.ok(await waitFor(() => d.log.includes(`${s1}: restored`)), d.log);
    // Reattaching a TAP turns its carrier on; the daemon takes it away again.
    assert.ok(
      await waitFor(() => flagsOf(box.ip(ns1, 'link', 'show', s1)).startsWith('NO-CARRIER,')),
      box.ip(ns1, 'link', 'show', s1) + d.log,
    );
    box.ip(upstream, 'link', 'set', peer, 'up');
    assert.ok(
      await waitFor(() => flagsOf(box.ip(ns1, 'link', 'show', s1)).endsWith('LOWER_UP')),
      box.ip(ns1, 'link', 'show', s1),
    );
    assert.ok(pingCount(box, ns1, UP, 1, 5) >= 1);
  });
});
