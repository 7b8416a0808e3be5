// The Linux data-plane daemon's L3 egress and IPv6 against the real kernel: IPv6 in L3
// with the real `ping -6` (slave↔slave, slave→upstream, upstream→slave with the
// upstream routing the slaves' prefix via the host, RX-L3-4; the slaves do no ND,
// MODE-6); IPv6 in L3S with the host's nft INPUT counter and conntrack seeing both
// directions (L3S-2..L3S-5); and the routing of L3 egress in the master namespace
// (TX-L3-4, docs/linux-dataplane.md): IPv4 ignores a route through another device and
// falls back to on-link on the master, IPv6 with no route via the master fails with
// ENETUNREACH. Root only; traffic stays inside the namespaces this file creates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { addUplink, pingCount, startDaemonTopology, waitFor } from './daemon-helpers.ts';
import type { DaemonProc, DaemonTopology } from './daemon-helpers.ts';
import { linuxTestsAvailable } from './netns.ts';
import type { Sandbox } from './netns.ts';

const skip = !linuxTestsAvailable();

// Port A: master `m` with an IPv6 address, upstream `up` routing the slaves' prefix via it.
const UP6 = 'fd00:231:42::1';
const HOST6 = 'fd00:231:42::2';
const S0 = 'fd00:231:43::10';
const S1 = 'fd00:231:43::11';
// Port B: master `m2` with no address at all, upstream `up2` on the same segment.
const UP2 = '10.231.44.1';
const S2 = '10.231.44.10';
const UP2V6 = 'fd00:231:44::1';
const S2V6 = 'fd00:231:44::10';
const HOST2V6 = 'fd00:231:44::2';

/** The daemon's `status` over its control socket (newline-delimited JSON). */
async function daemonStatus(d: DaemonProc): Promise<DaemonStatus> {
  const sock = createConnection(join(d.stateDir, 'control.sock'));
  try {
    return await new Promise<DaemonStatus>((resolve, reject) => {
      let buf = '';
      sock.setEncoding('utf8');
      sock.once('error', reject);
      sock.on('data', (chunk: string) => {
        buf += chunk;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        const reply = JSON.parse(buf.slice(0, nl)) as { value?: DaemonStatus; error?: unknown };
        if (reply.value === undefined) reject(new Error(JSON.stringify(reply.error)));
        else resolve(reply.value);
      });
      sock.write(`${JSON.stringify({ id: 1, method: 'status', args: [] })}\n`);
    });
  } finally {
    sock.destroy();
  }
}

interface DaemonStatus {
  readonly stats: { readonly glue: { readonly l3Out: number; readonly l3OutErrors: number } };
}

/** A field of /proc/net/snmp6 in `ns` (e.g. Ip6OutNoRoutes). */
function snmp6(box: Sandbox, ns: string, field: string): number {
  const text = box.execOk(ns, ['cat', '/proc/net/snmp6']);
  const m = new RegExp(`^${field}\\s+(\\d+)$`, 'm').exec(text);
  assert.ok(m !== null, `${field} in ${text}`);
  return Number(m[1]);
}

/** An IPv6 address as the kernel's %pI6 prints it (conntrack): eight 4-digit groups. */
function fullV6(addr: string): string {
  const [head = '', tail = ''] = addr.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

/** The first counter's packet count in an nft listing after `match`. */
function counterAfter(rules: string, match: string): number {
  const at = rules.indexOf(match);
  assert.ok(at >= 0, `${match} in ${rules}`);
  const m = /counter packets (\d+)/.exec(rules.slice(at));
  assert.ok(m !== null, rules);
  return Number(m[1]);
}

/** Loads an nft script in `ns`. */
function nft(box: Sandbox, ns: string, script: string): void {
  const r = box.exec(ns, ['sh', '-c', `printf '%s' "$0" | nft -f -`, script]);
  assert.equal(r.status, 0, r.stderr);
}

/** `ping` that sends exactly `count` requests; the replies received. */
function pingExact(box: Sandbox, ns: string, dst: string, count: number): number {
  const r = box.exec(ns, ['ping', '-c', String(count), '-i', '0.2', '-W', '1', dst], 15_000);
  const m = new RegExp(`${count} packets transmitted, (\\d+) received`).exec(r.stdout);
  assert.ok(m !== null, r.stdout + r.stderr);
  return Number(m[1]);
}

describe(
  'ipvlan daemon, IPv6 in L3/L3S and L3 egress routing (root, real namespaces)',
  { skip },
  () => {
    let t: DaemonTopology<'ns0' | 'ns1' | 'ns2'> | undefined;
    let box: Sandbox;
    let d: DaemonProc;
    let home: string;
    let upstream: string;
    let upstream2: string;
    let ns0: string;
    let ns1: string;
    let ns2: string;
    let master: string;
    let master2: string;
    let s0: string;
    let s1: string;
    let s2: string;

    before(async () => {
      t = await startDaemonTopology({
        upstreamAddr: `${UP6}/64`,
        hostAddr: `${HOST6}/64`,
        slaveNamespaces: ['ns0', 'ns1', 'ns2'],
        beforeStart: ({ box, home, upstream }) => {
          // The slaves answer no ND in L3 (NOARP) and the master has no proxy NDP
          // (RX-L3-4): the upstream reaches their prefix through the host's address.
          box.ip(upstream, '-6', 'route', 'add', 'fd00:231:43::/64', 'via', HOST6);
          ({ upstream: upstream2, master: master2 } = addUplink(box, home, '2', {
            upstreamAddr: [`${UP2}/24`, `${UP2V6}/64`],
          }));
          // The host's default routes go through another device (a veth looped inside
          // the host; this kernel has no dummy driver): they must not qualify for L3
          // egress pinned to a master (TX-L3-4; checked with the oracle, kernel ipvlan
          // over a dummy).
          const [other, otherPeer] = box.addVeth('x', home, 'y', home);
          box.ip(home, 'link', 'set', otherPeer, 'up');
          box.ip(home, 'link', 'set', other, 'up');
          box.ip(home, 'route', 'add', 'default', 'dev', other);
          box.ip(home, '-6', 'route', 'add', 'default', 'dev', other);
        },
      });
      ({ box, d, home, upstream, master } = t);
      ({ ns0, ns1, ns2 } = t.ns);
      s0 = box.ifName('s0');
      s1 = box.ifName('s1');
      s2 = box.ifName('s2');
    });

    after(() => t?.stop());

    test('IPv6 in L3: NOARP slaves do no ND; ping -6 slave↔slave, to and from the upstream', () => {
      d.linkOk('add', 'link', master, 'name', s0, 'type', 'ipvlan', 'mode', 'l3', 'netns', ns0);
      d.linkOk('add', 'link', master, 'name', s1, 'type', 'ipvlan', 'mode', 'l3', 'netns', ns1);
      for (const [ns, dev, addr] of [
        [ns0, s0, S0],
        [ns1, s1, S1],
      ] as const) {
        box.ip(ns, 'addr', 'add', `${addr}/64`, 'dev', dev, 'nodad');
        box.ip(ns, 'link', 'set', dev, 'up');
        box.ip(ns, '-6', 'route', 'add', 'default', 'dev', dev);
      }
      assert.match(box.ip(ns0, 'link', 'show', s0), /<BROADCAST,MULTICAST,NOARP,UP,LOWER_UP>/);
      const mac = /link\/ether (\S+)/.exec(box.ip(ns0, 'link', 'show', s0))?.[1] ?? '';
      assert.match(mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);

      assert.ok(pingCount(box, ns0, S1) >= 3, 'slave → slave');
      assert.ok(pingCount(box, ns0, UP6) >= 3, 'slave → upstream');
      assert.ok(pingCount(box, upstream, S1) >= 3, 'upstream → slave');
      // MODE-6: the slave resolved nothing; its neighbours are NOARP entries with its own
      // MAC (the shared one), so no NS ever left it.
      const neigh = box.ip(ns0, '-6', 'neigh', 'show', 'nud', 'all', 'dev', s0);
      assert.match(neigh, new RegExp(`^${UP6} lladdr ${mac} NOARP`, 'm'), neigh);
      assert.match(neigh, new RegExp(`^${S1} lladdr ${mac} NOARP`, 'm'), neigh);
      // The upstream reached the slaves through the host only: it learnt the host's
      // address as a neighbour, never a slave address.
      const upNeigh = box.ip(upstream, '-6', 'neigh', 'show');
      assert.match(upNeigh, new RegExp(`^${HOST6} dev \\S+ lladdr ${mac} `, 'm'), upNeigh);
      assert.doesNotMatch(upNeigh, /fd00:231:43:/);
      // The master's own stack did not also take the upstream's pings (nft ingress).
      const rules = box.execOk(home, ['nft', 'list', 'ruleset']);
      assert.ok(counterAfter(rules, 'ip6 daddr @v6') >= 3, rules);
    });

    test("IPv6 in L3S: the host's INPUT and conntrack see slave traffic in both directions", () => {
      nft(
        box,
        home,
        'table inet host6 { chain in { type filter hook input priority 0; policy accept; ' +
          `ip6 saddr ${UP6} counter; ct state established counter; }; }\n`,
      );
      try {
        d.linkOk('set', s0, 'type', 'ipvlan', 'mode', 'l3s');
        assert.match(d.linkOk('show', s1), /ipvlan {2}mode l3s bridge /);
        assert.ok(pingCount(box, ns0, UP6, 2) >= 2, 'slave → upstream');
        assert.ok(pingCount(box, upstream, S1, 2) >= 2, 'upstream → slave');
        assert.ok(pingCount(box, ns0, S1, 2) >= 2, 'slave → slave');
        // The replies to the slave's pings and the upstream's own requests: 4 at least.
        const rules = box.execOk(home, ['nft', 'list', 'table', 'inet', 'host6']);
        assert.ok(counterAfter(rules, `ip6 saddr ${UP6}`) >= 4, rules);
        const ct = box.execOk(home, ['cat', '/proc/net/nf_conntrack']);
        const [s0f, s1f, upf] = [fullV6(S0), fullV6(S1), fullV6(UP6)];
        // Slave-initiated: the request went out through OUTPUT, the reply came in through
        // PREROUTING/INPUT; upstream-initiated: confirmed on INPUT, answered through OUTPUT.
        for (const [a, b] of [
          [s0f, upf],
          [upf, s1f],
        ] as const)
          assert.match(
            ct,
            new RegExp(
              `src=${a} dst=${b} type=128 code=0 id=\\d+ src=${b} dst=${a} type=129 code=0 id=\\d+`,
            ),
            ct,
          );
        const ours = ct.split('\n').filter((l) => l.includes('fd00:0231:0043:'));
        assert.ok(ours.length >= 2, ct);
        assert.doesNotMatch(ours.join('\n'), /UNREPLIED/);
        // The host answered none of the upstream's requests itself (the slave did): one
        // echo reply per request reached the upstream, no duplicates.
        const r = box.exec(upstream, ['ping', '-c', '3', '-i', '0.2', '-W', '1', S1]);
        assert.match(r.stdout, /3 packets transmitted, 3 received/, r.stdout);
        assert.doesNotMatch(r.stdout, /DUP!/);
      } finally {
        box.exec(home, ['nft', 'delete', 'table', 'inet', 'host6']);
        d.linkOk('set', s0, 'type', 'ipvlan', 'mode', 'l3');
      }
      assert.ok(pingCount(box, upstream, S1, 2) >= 2, 'back in l3');
    });

    test('L3 egress with no route via the master: IPv4 goes on-link, IPv6 is ENETUNREACH', async () => {
      // A second master of the same daemon (it used to fail: its engine default routes
      // collided with the first master's, EEXIST, shown as `Cannot find device`).
      d.linkOk('add', 'link', master2, 'name', s2, 'type', 'ipvlan', 'mode', 'l3', 'netns', ns2);
      box.ip(ns2, 'addr', 'add', `${S2}/24`, 'dev', s2);
      box.ip(ns2, 'addr', 'add', `${S2V6}/64`, 'dev', s2, 'nodad');
      box.ip(ns2, 'link', 'set', s2, 'up');
      box.ip(ns2, 'route', 'add', 'default', 'dev', s2);
      box.ip(ns2, '-6', 'route', 'add', 'default', 'dev', s2);
      const mac2 = /link\/ether (\S+)/.exec(box.ip(home, 'link', 'show', master2))?.[1] ?? '';
      // The upstream's way back: static neighbours (the slave answers no ARP/ND, RX-L3-2,
      // and the host has no address to route through).
      const peer2 = box.ifName('p2');
      box.ip(upstream2, 'neigh', 'add', S2, 'lladdr', mac2, 'dev', peer2, 'nud', 'permanent');
      box.ip(
        upstream2,
        '-6',
        'neigh',
        'add',
        S2V6,
        'lladdr',
        mac2,
        'dev',
        peer2,
        'nud',
        'permanent',
      );
      // What the host routes where, and what the upstream receives from the slave.
      nft(
        box,
        home,
        'table inet eg { chain post { type filter hook postrouting priority 0; policy accept; ' +
          `oifname "${master2}" ip daddr ${UP2} counter; ` +
          `oifname != "${master2}" ip daddr ${UP2} counter; ` +
          `ip6 daddr ${UP2V6} counter; }; }\n`,
      );
      nft(
        box,
        upstream2,
        'table inet seen { chain in { type filter hook input priority 0; policy accept; ' +
          `ip6 saddr ${S2V6} counter; }; }\n`,
      );
      assert.doesNotMatch(box.ip(home, 'route', 'show'), new RegExp(master2));
      assert.doesNotMatch(box.ip(home, '-6', 'route', 'show'), /fd00:231:44:/);

      // IPv4: the only route (default via the other device) does not qualify; the real
      // kernel assumes the destination is on-link on the master and resolves it there.
      assert.ok(pingCount(box, ns2, UP2, 2) >= 2, 'slave → upstream, on-link');
      const eg = box.execOk(home, ['nft', 'list', 'table', 'inet', 'eg']);
      assert.ok(counterAfter(eg, `oifname "${master2}" ip daddr`) >= 2, eg);
      assert.equal(counterAfter(eg, `oifname != "${master2}" ip daddr`), 0, eg);
      const homeNeigh = box.ip(home, 'neigh', 'show', 'dev', master2);
      assert.match(homeNeigh, new RegExp(`^${UP2.replace(/\./g, '\\.')} lladdr `, 'm'), homeNeigh);

      // IPv6: no route via the master matches the destination (only fe80::/64; the
      // default goes through the other device), so the lookup with the master forced
      // fails: ENETUNREACH, counted by the real kernel as Ip6OutNoRoutes and by the
      // daemon as l3OutErrors; nothing reaches the upstream (kernel ipvlan drops it too).
      const before = (await daemonStatus(d)).stats.glue;
      const noRoutes = snmp6(box, home, 'Ip6OutNoRoutes');
      assert.equal(pingExact(box, ns2, UP2V6, 3), 0, 'slave → upstream over IPv6 fails');
      const afterFail = (await daemonStatus(d)).stats.glue;
      assert.ok(afterFail.l3OutErrors - before.l3OutErrors >= 3, JSON.stringify(afterFail));
      assert.ok(snmp6(box, home, 'Ip6OutNoRoutes') - noRoutes >= 3);
      const seen = () => box.execOk(upstream2, ['nft', 'list', 'table', 'inet', 'seen']);
      assert.equal(counterAfter(seen(), `ip6 saddr ${S2V6}`), 0, seen());
      const eg6 = box.execOk(home, ['nft', 'list', 'table', 'inet', 'eg']);
      assert.equal(counterAfter(eg6, `ip6 daddr ${UP2V6}`), 0, 'not routed anywhere else');

      // With a prefix on the master there is a route via it: the same ping works.
      box.ip(home, 'addr', 'add', `${HOST2V6}/64`, 'dev', master2, 'nodad');
      assert.ok(await waitFor(() => pingCount(box, ns2, UP2V6, 2, 3) >= 2), 'with a route');
      assert.ok(counterAfter(seen(), `ip6 saddr ${S2V6}`) >= 2, seen());
      const afterOk = (await daemonStatus(d)).stats.glue;
      assert.ok(afterOk.l3Out > afterFail.l3Out, JSON.stringify(afterOk));
      box.exec(home, ['nft', 'delete', 'table', 'inet', 'eg']);
    });
  },
);
