// The Linux data-plane daemon end to end against the real kernel: the seed example
// (`ipvlan link add`, then plain iproute2 moves the TAP, adds the address and brings
// it up) with the real ping in L2; private and VEPA (upstream bridge port in hairpin
// mode); a duplicate address refused and removed; an iperf3 transfer; the TAP's MTU
// in the engine; restart after kill -9; the CLI's errors. Root only; skipped with a
// message otherwise. The master is one end of a veth pair whose peer sits in an
// "upstream" namespace playing the router; traffic stays inside the namespaces this
// file creates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pingCount, pingNoFrag, startDaemonTopology, waitFor } from './daemon-helpers.ts';
import type { DaemonProc, DaemonTopology } from './daemon-helpers.ts';
import { linuxTestsAvailable } from './netns.ts';
import type { Sandbox } from './netns.ts';

const skip = !linuxTestsAvailable();
const haveIperf = spawnSync('sh', ['-c', 'command -v iperf3']).status === 0;

const UP = '10.231.30.1';
const S0 = '10.231.30.10';
const S1 = '10.231.30.11';

describe('ipvlan daemon, L2 (root, real namespaces)', { skip }, () => {
  let t: DaemonTopology<'ns0' | 'ns1'> | undefined;
  let box: Sandbox;
  let d: DaemonProc;
  let home: string;
  let upstream: string;
  let ns0: string;
  let ns1: string;
  let master: string;
  let s0: string;
  let s1: string;

  before(async () => {
    t = await startDaemonTopology({ upstreamAddr: `${UP}/24`, slaveNamespaces: ['ns0', 'ns1'] });
    ({ box, d, home, upstream, master } = t);
    ({ ns0, ns1 } = t.ns);
    s0 = box.ifName('s0');
    s1 = box.ifName('s1');
  });

  after(() => t?.stop());

  test('the seed example: link add, then plain iproute2; ping upstream and slave to slave', () => {
    d.linkOk('add', 'link', master, 'name', s0, 'type', 'ipvlan', 'mode', 'l2');
    // The second slave goes to its namespace through the daemon (`netns NS`).
    d.linkOk('add', 'link', master, 'name', s1, 'type', 'ipvlan', 'mode', 'l2', 'netns', ns1);
    box.ip(home, 'link', 'set', 'dev', s0, 'netns', ns0);
    box.ip(ns0, 'addr', 'add', `${S0}/24`, 'dev', s0);
    box.ip(ns0, 'link', 'set', s0, 'up');
    box.ip(ns1, 'addr', 'add', `${S1}/24`, 'dev', s1);
    box.ip(ns1, 'link', 'set', s1, 'up');

    // The TAP carries the master's MAC (MAC-1).
    const masterMac = /link\/ether (\S+)/.exec(box.ip(home, 'link', 'show', master))?.[1];
    const tapMac = /link\/ether (\S+)/.exec(box.ip(ns0, 'link', 'show', s0))?.[1];
    assert.ok(masterMac !== undefined);
    assert.equal(tapMac, masterMac);

    assert.ok(pingCount(box, ns0, UP) >= 3, 'slave → upstream');
    assert.ok(pingCount(box, upstream, S1) >= 3, 'upstream → slave');
    assert.ok(pingCount(box, ns0, S1) >= 3, 'slave → slave');

    const show = d.linkOk('show');
    assert.match(show, new RegExp(`\\d+: ${s0}@${master}: <BROADCAST,MULTICAST,UP,LOWER_UP>`));
    assert.match(show, /\n {4}ipvlan {2}mode l2 bridge /);
    const json = JSON.parse(d.linkOk('show', '-j')) as {
      ifname: string;
      linkinfo?: { info_kind: string; info_data: { mode: string } };
    }[];
    const e = json.find((l) => l.ifname === s1);
    assert.equal(e?.linkinfo?.info_kind, 'ipvlan');
    assert.equal(e?.linkinfo?.info_data.mode, 'l2');
  });

  test("the master's own stack does not also take the slaves' unicast (nft ingress)", () => {
    const rules = box.execOk(home, ['nft', 'list', 'ruleset']);
    assert.match(
      rules,
      new RegExp(
        `elements = \\{ ${S0.replace(/\./g, '\\.')}, ${S1.replace(/\./g, '\\.')} \\}|elements = \\{ ${S1.replace(/\./g, '\\.')}, ${S0.replace(/\./g, '\\.')} \\}`,
      ),
    );
    // The upstream's pings to the slaves were dropped at the master's ingress after the
    // packet socket copied them.
    const m = /ip daddr @v4 counter packets (\d+)/.exec(rules);
    assert.ok(m !== null && Number(m[1]) > 0, rules);
  });

  test('a duplicate address is refused and removed again, as the kernel refuses it', async () => {
    box.ip(ns1, 'addr', 'add', `${S0}/32`, 'dev', s1);
    const gone = await waitFor(() => !box.ip(ns1, 'addr', 'show', 'dev', s1).includes(`${S0}/32`));
    assert.ok(gone, 'the duplicate is removed from the TAP');
    assert.ok(
      await waitFor(() => d.log.includes('Address already assigned to an ipvlan device')),
      d.log,
    );
    // The owner keeps it.
    assert.ok(pingCount(box, upstream, S0, 2) >= 2);
  });

  test('an iperf3 TCP transfer from a slave to the upstream', { skip: !haveIperf }, async () => {
    const server = box.spawn(upstream, ['iperf3', '-s', '-1', '-B', UP]);
    try {
      await waitFor(() => /:5201\b/.test(box.exec(upstream, ['ss', '-ltn']).stdout));
      const r = box.exec(ns0, ['iperf3', '-c', UP, '-t', '2', '-J'], 30_000);
      assert.equal(r.status, 0, r.stderr + r.stdout.slice(0, 500));
      const j = JSON.parse(r.stdout) as { end: { sum_received: { bytes: number } } };
      assert.ok(j.end.sum_received.bytes > 1_000_000, `received ${j.end.sum_received.bytes}`);
    } finally {
      server.kill('SIGKILL');
    }
  });

  test('private: slaves cannot reach each other, the upstream still can', () => {
    d.linkOk('set', s0, 'type', 'ipvlan', 'mode', 'l2', 'private');
    assert.match(d.linkOk('show', s1), /ipvlan {2}mode l2 private /);
    assert.equal(pingCount(box, ns0, S1, 2, 3), 0, 'slave → slave is dropped');
    assert.ok(pingCount(box, ns0, UP, 2) >= 2, 'slave → upstream still works');
    d.linkOk('set', s0, 'type', 'ipvlan', 'mode', 'l2', 'bridge');
    assert.ok(pingCount(box, ns0, S1, 2) >= 2);
  });

  test("the engine's slave takes its TAP's MTU; larger frames to it are dropped", async () => {
    assert.match(d.linkOk('show', s0), / mtu 1500 /);
    box.ip(ns0, 'link', 'set', s0, 'mtu', '1400');
    try {
      assert.ok(await waitFor(() => / mtu 1400 /.test(d.linkOk('show', s0))), d.linkOk('show'));
      // Exactly 1400 bytes of IPv4 from the slave with the smaller MTU passes.
      const r = pingNoFrag(box, ns0, S1, 1372);
      assert.match(r.stdout, /[12] received/, r.stdout + r.stderr);
      // A 1500-byte packet towards it exceeds the engine slave's MTU: dev_forward_skb
      // drops it (is_skb_forwardable), as Linux's ipvlan would.
      const dropped = (): number =>
        Number(/RX:.*\n\s*\d+\s+\d+\s+\d+\s+(\d+)/.exec(d.linkOk('-s', 'show', s0))?.[1] ?? -1);
      const before = dropped();
      assert.ok(before >= 0, d.linkOk('-s', 'show', s0));
      const big = box.exec(ns1, [
        'ping',
        '-c',
        '2',
        '-i',
        '0.2',
        '-w',
        '2',
        '-M',
        'do',
        '-s',
        '1472',
        S0,
      ]);
      assert.match(big.stdout, / 0 received/, big.stdout + big.stderr);
      assert.ok(dropped() >= before + 2, d.linkOk('-s', 'show', s0));
    } finally {
      box.ip(ns0, 'link', 'set', s0, 'mtu', '1500');
    }
    assert.ok(await waitFor(() => / mtu 1500 /.test(d.linkOk('show', s0))));
    assert.ok(pingCount(box, ns1, S0, 2) >= 2);
  });

  test('restart: kill -9, start again, same slaves and traffic resumes', async () => {
    await d.kill9();
    d.log = '';
    await d.start();
    assert.ok(await waitFor(() => d.log.includes(`${s0}: restored`)), d.log);
    assert.ok(await waitFor(() => d.log.includes(`${s1}: restored`)), d.log);
    const t0 = Date.now();
    assert.ok(pingCount(box, ns0, UP, 1, 5) >= 1, 'traffic resumes');
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 5000, `resumed after ${elapsed} ms`);
    assert.ok(pingCount(box, ns0, S1, 2) >= 2);
    assert.match(d.linkOk('show', s0), /ipvlan {2}mode l2 bridge /);
  });

  test('link del removes the slave and its TAP', () => {
    d.linkOk('del', s1);
    assert.equal(box.exec(ns1, ['ip', 'link', 'show', s1]).status, 1);
    assert.doesNotMatch(d.linkOk('show'), new RegExp(s1));
  });

  test('errors: unknown master, daemon not running', () => {
    const r = d.link('add', 'link', 'nosuchdev0', 'name', box.ifName('x'), 'type', 'ipvlan');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'Cannot find device "nosuchdev0"\n');
    // An unknown mode word is iproute2's own error.
    const bad = d.link(
      'add',
      'link',
      master,
      'name',
      box.ifName('x'),
      'type',
      'ipvlan',
      'mode',
      'l4',
    );
    assert.notEqual(bad.status, 0);
    const other = box.exec(home, [
      process.execPath,
      new URL('../../bin/ipvlan.js', import.meta.url).pathname,
      'link',
      '--state-dir',
      '/nonexistent-lxd-state',
      'show',
    ]);
    assert.equal(other.status, 1);
    assert.match(
      other.stderr,
      /^ipvlan: cannot connect to the daemon at \/nonexistent-lxd-state\/control\.sock: /,
    );
  });
});

describe('ipvlan daemon, VEPA through a hairpin bridge port (root)', { skip }, () => {
  let t: DaemonTopology<'ns0' | 'ns1'> | undefined;
  after(() => t?.stop());

  test('vepa: slave to slave goes out and comes back through the upstream hairpin', async () => {
    // The upstream's address is on a bridge whose port towards the master hairpins.
    t = await startDaemonTopology({
      slaveNamespaces: ['ns0', 'ns1'],
      beforeStart: ({ box, upstream, peer }) => {
        const br = box.ifName('br');
        box.ip(upstream, 'link', 'add', br, 'type', 'bridge');
        box.ip(upstream, 'link', 'set', peer, 'master', br);
        box.ip(upstream, 'link', 'set', 'dev', peer, 'type', 'bridge_slave', 'hairpin', 'on');
        box.ip(upstream, 'addr', 'add', `${UP}/24`, 'dev', br);
        box.ip(upstream, 'link', 'set', br, 'up');
      },
    });
    const { box, d, upstream, master, peer } = t;
    const { ns0, ns1 } = t.ns;
    const s0 = box.ifName('s0');
    const s1 = box.ifName('s1');
    d.linkOk(
      'add',
      'link',
      master,
      'name',
      s0,
      'type',
      'ipvlan',
      'mode',
      'l2',
      'vepa',
      'netns',
      ns0,
    );
    d.linkOk(
      'add',
      'link',
      master,
      'name',
      s1,
      'type',
      'ipvlan',
      'mode',
      'l2',
      'vepa',
      'netns',
      ns1,
    );
    assert.match(d.linkOk('show', s0), /ipvlan {2}mode l2 vepa /);
    for (const [ns, dev, addr] of [
      [ns0, s0, S0],
      [ns1, s1, S1],
    ] as const) {
      box.ip(ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
      box.ip(ns, 'link', 'set', dev, 'up');
    }
    assert.ok(pingCount(box, ns0, UP) >= 3, 'slave → upstream');
    const before = Number(
      /RX:.*\n\s+\d+\s+(\d+)/.exec(box.ip(upstream, '-s', 'link', 'show', peer))?.[1] ?? 0,
    );
    assert.ok(pingCount(box, ns0, S1) >= 3, 'slave → slave via the hairpin');
    const afterRx = Number(
      /RX:.*\n\s+\d+\s+(\d+)/.exec(box.ip(upstream, '-s', 'link', 'show', peer))?.[1] ?? 0,
    );
    // Every request and reply crossed the upstream port (VEPA sends slave traffic out).
    assert.ok(afterRx - before >= 6, `upstream port received ${afterRx - before} packets`);
  });
});
