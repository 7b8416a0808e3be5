// Property tests on the full emulated machine (IP stack, namespaces, the real `ip` and
// `ping` through the shell): random sequences of control operations keep the port
// invariants (OBJ-5, OBJ-6, ADDR-1, ADDR-6, LC-3, DEL-2, NS-1, ST-*), and random frames
// from slaves or from the wire are only ever delivered where the spec allows (RX-L2-2,
// RX-L3-1, TX-L2-1, TX-L3-1, TX-L3-3, TX-F-1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Lab } from './helpers.ts';
import { ipvlanOf, portOf } from '../../src/ipvlan/main.ts';
import type { IpvlanDev, IpvlanStats } from '../../src/ipvlan/types.ts';
import { listAddresses } from '../../src/stack/inet.ts';
import type { NetDevice } from '../../src/stack/netdev.ts';
import { SkBuff } from '../../src/stack/skb.ts';
import { ipKey, parseIp, type IpAddr } from '../../src/wire/address.ts';
import { hex } from '../../src/wire/bytes.ts';

const MASTERS = ['m0', 'm1'] as const;
const SLAVES = ['s0', 's1', 's2', 's3', 's4'] as const;
const NSES = [null, 'ns0', 'ns1', 'ns2'] as const;
const ADDRS = ['10.9.0.1', '10.9.0.2', '10.9.0.3', '2001:db8::1', '2001:db8::2'] as const;
const MODES = ['', 'mode l2', 'mode l3', 'mode l3s'] as const;
const FLAGS = ['', 'bridge', 'private', 'vepa'] as const;

type Op =
  | { op: 'master'; m: number }
  | { op: 'delmaster'; m: number }
  | {
      op: 'add';
      s: number;
      link: number;
      viaSlave: boolean;
      ns: number;
      mode: number;
      flag: number;
    }
  | { op: 'del'; s: number }
  | { op: 'addr'; s: number; a: number }
  | { op: 'deladdr'; s: number; a: number }
  | { op: 'set'; s: number; mode: number; flag: number }
  | { op: 'move'; s: number; ns: number }
  | { op: 'updown'; s: number; up: boolean }
  | { op: 'ping'; s: number; a: number };

const i = (n: number) => fc.nat({ max: n - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('master' as const), m: i(2) }),
  fc.record({ op: fc.constant('delmaster' as const), m: i(2) }),
  fc.record({
    op: fc.constant('add' as const),
    s: i(5),
    link: i(5),
    viaSlave: fc.boolean(),
    ns: i(4),
    mode: i(4),
    flag: i(4),
  }),
  fc.record({ op: fc.constant('del' as const), s: i(5) }),
  fc.record({ op: fc.constant('addr' as const), s: i(5), a: i(5) }),
  fc.record({ op: fc.constant('addr' as const), s: i(5), a: i(5) }),
  fc.record({ op: fc.constant('deladdr' as const), s: i(5), a: i(5) }),
  fc.record({ op: fc.constant('set' as const), s: i(5), mode: i(4), flag: i(4) }),
  fc.record({ op: fc.constant('move' as const), s: i(5), ns: i(4) }),
  fc.record({ op: fc.constant('updown' as const), s: i(5), up: fc.boolean() }),
  fc.record({ op: fc.constant('ping' as const), s: i(5), a: i(5) }),
);

/** Where slave `name` lives now, or undefined. */
function findSlave(lab: Lab, name: string): { ns: string | null; dev: NetDevice } | undefined {
  for (const ns of NSES) {
    if (ns !== null && !lab.kernel.namespaces.has(ns)) continue;
    const dev = lab.net(ns).getByName(name);
    if (dev !== undefined && ipvlanOf(dev) !== undefined) return { ns, dev };
  }
  return undefined;
}

const pre = (ns: string | null): string => (ns === null ? '' : `-n ${ns} `);
const plen = (a: string): number => (a.includes(':') ? 64 : 24);

/** Every live slave of every live master. */
function allSlaves(lab: Lab): IpvlanDev[] {
  const out: IpvlanDev[] = [];
  for (const m of MASTERS) {
    const dev = lab.net(null).getByName(m);
    const port = dev === undefined ? undefined : portOf(dev);
    if (port !== undefined) out.push(...port.slaves);
  }
  return out;
}

function checkInvariants(lab: Lab, prevStats: Map<IpvlanDev, IpvlanStats>): void {
  const seen = new Set<IpvlanDev>();
  for (const m of MASTERS) {
    const master = lab.net(null).getByName(m);
    if (master === undefined) continue;
    assert.equal(ipvlanOf(master), undefined, 'a master is never a slave');
    const port = portOf(master);
    if (port === undefined) continue;
    assert.equal(port.count, port.slaves.length);
    const owners = new Map<number | string, IpvlanDev>();
    for (const s of port.slaves) {
      // Every slave hangs off the real master, in this port, registered (LC-3).
      assert.equal(s.phyDev, master);
      assert.equal(s.port, port);
      assert.ok(s.dev.registered);
      assert.equal(ipvlanOf(s.dev), s);
      seen.add(s);
      for (const a of s.addrs) {
        // One owner per address per port (ADDR-1, OBJ-6).
        assert.equal(owners.get(a.key), undefined, `two owners of ${String(a.key)}`);
        owners.set(a.key, s);
        // Hashed exactly while the owner runs (ADDR-6, OBJ-5).
        assert.equal(a.hashed, s.dev.isUp, `${s.dev.name} ${String(a.key)} hashed`);
        assert.equal(port.table.get(a.key) === a, s.dev.isUp);
      }
      // The list is the slave's configured IPv4 addresses (ADDR-5).
      const v4 = listAddresses(s.dev)
        .map((ifa) => ipKey(ifa.address))
        .sort();
      const listed = s.addrs.filter((a) => typeof a.key === 'number').map((a) => a.key);
      assert.deepEqual(listed.sort(), v4);
    }
    // Nothing in the table that is not in an owner's list.
    for (const [key, a] of port.table) {
      assert.equal(a.key, key);
      assert.ok(a.owner.addrs.includes(a) && port.slaves.includes(a.owner));
    }
  }
  // Counters never decrease while a slave lives (ST-1..ST-5).
  for (const [s, before] of prevStats) {
    if (!seen.has(s)) continue;
    for (const k of Object.keys(before) as (keyof IpvlanStats)[])
      assert.ok(s.stats[k] >= before[k], `${s.dev.name} ${k} went down`);
  }
}

async function runOp(lab: Lab, o: Op): Promise<void> {
  const name = SLAVES[('s' in o ? o.s : 0) % SLAVES.length] as string;
  const where = findSlave(lab, name);
  switch (o.op) {
    case 'master': {
      const m = MASTERS[o.m] as string;
      if (lab.net(null).getByName(m) !== undefined) return;
      await lab.ok(`ip link add ${m} type dummy`, `ip link set ${m} up`);
      return;
    }
    case 'delmaster': {
      const m = MASTERS[o.m] as string;
      const dev = lab.net(null).getByName(m);
      if (dev === undefined) return;
      const port = portOf(dev);
      const slaves = port === undefined ? [] : [...port.slaves];
      await lab.ok(`ip link del ${m}`);
      // DEL-2: every slave, in every namespace, is gone with it.
      for (const s of slaves) assert.equal(s.dev.registered, false);
      return;
    }
    case 'add': {
      if (where !== undefined) return;
      let link: string | undefined = MASTERS[o.link % 2];
      if (o.viaSlave) {
        const other = findSlave(lab, SLAVES[o.link] as string);
        // The link is looked up in the caller's namespace (init).
        if (other !== undefined && other.ns === null) link = other.dev.name;
      }
      if (link === undefined || lab.net(null).getByName(link) === undefined) return;
      const ns = NSES[o.ns] ?? null;
      const args = `${MODES[o.mode]} ${FLAGS[o.flag]}`.trim();
      const into = ns === null ? '' : ` netns ${ns}`;
      const r = await lab.sh(`ip link add link ${link} name ${name}${into} type ipvlan ${args}`);
      assert.equal(r.exit, 0, r.output);
      const made = findSlave(lab, name);
      assert.ok(made !== undefined);
      // Nesting is flattened onto the real master (LC-3).
      const real =
        ipvlanOf(lab.net(null).getByName(link)!)?.phyDev ?? lab.net(null).getByName(link);
      assert.equal(ipvlanOf(made.dev)?.phyDev, real);
      return;
    }
    case 'del':
      if (where !== undefined) await lab.ok(`ip ${pre(where.ns)}link del ${name}`);
      return;
    case 'addr': {
      if (where === undefined) return;
      const a = ADDRS[o.a] as string;
      const me = ipvlanOf(where.dev)!;
      const key = ipKey(parseIp(a) as IpAddr);
      // EADDRINUSE exactly when another slave of the port lists the address (ADDR-1,
      // ADDR-6: down slaves included); the owner itself with the same prefix: EEXIST.
      const other = me.port.slaves.some((s) => s !== me && s.addrs.some((x) => x.key === key));
      const mine = me.addrs.some((x) => x.key === key);
      const nodad = a.includes(':') ? ' nodad' : '';
      const r = await lab.sh(`ip ${pre(where.ns)}addr add ${a}/${plen(a)} dev ${name}${nodad}`);
      if (other) {
        assert.deepEqual(r, {
          output: 'Error: Address already assigned to an ipvlan device.\n',
          exit: 2,
        });
      } else if (mine) {
        assert.deepEqual(r, { output: 'RTNETLINK answers: File exists\n', exit: 2 });
      } else {
        assert.deepEqual(r, { output: '', exit: 0 });
      }
      return;
    }
    case 'deladdr': {
      if (where === undefined) return;
      const a = ADDRS[o.a] as string;
      await lab.sh(`ip ${pre(where.ns)}addr del ${a}/${plen(a)} dev ${name}`);
      return;
    }
    case 'set': {
      if (where === undefined) return;
      const args = `${MODES[o.mode]} ${FLAGS[o.flag]}`.trim();
      await lab.ok(`ip ${pre(where.ns)}link set ${name} type ipvlan ${args}`);
      return;
    }
    case 'move': {
      if (where === undefined) return;
      const ns = NSES[o.ns] ?? null;
      if (ns === where.ns) return;
      const target = ns === null ? '1' : ns;
      if (ns === null) {
        // `netns 1`: the init namespace by pid; the emulated shell names it by pid 1.
        const r = await lab.sh(`ip ${pre(where.ns)}link set ${name} netns ${target}`);
        if (r.exit !== 0) return;
      } else {
        await lab.ok(`ip ${pre(where.ns)}link set ${name} netns ${target}`);
      }
      // NS-1: it arrives down and without addresses.
      const moved = findSlave(lab, name);
      if (moved !== undefined && moved.ns === ns) {
        assert.equal(moved.dev.isUp, false);
        assert.deepEqual(ipvlanOf(moved.dev)?.addrs, []);
      }
      return;
    }
    case 'updown':
      if (where !== undefined)
        await lab.ok(`ip ${pre(where.ns)}link set ${name} ${o.up ? 'up' : 'down'}`);
      return;
    case 'ping': {
      if (where === undefined || where.ns === null) return;
      const a = ADDRS[o.a] as string;
      await lab.sh(`ip netns exec ${where.ns} ping -c 1 -W 1 ${a}`);
      return;
    }
  }
}

test('OBJ-6 ADDR-1 ADDR-6 LC-3 DEL-2 NS-1 ST-1: random control sequences keep one owner per address, slaves on the real master, counters monotonic', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), async (ops) => {
      const lab = await Lab.create();
      await lab.ok('ip netns add ns0', 'ip netns add ns1', 'ip netns add ns2');
      await lab.ok('ip link add m0 type dummy', 'ip link set m0 up');
      for (const o of ops) {
        const prev = new Map(allSlaves(lab).map((s) => [s, { ...s.stats }] as const));
        // Anything but an ErrnoError turned into an `ip` message escapes runLine and
        // fails the property here.
        await runOp(lab, o);
        lab.settle(100_000_000);
        checkInvariants(lab, prev);
      }
    }),
    { numRuns: 40, seed: 0x1bad5eed },
  );
});

// ---------------------------------------------------------------- frames

const MARK = '7a7a7a7a7a7a7a7a';

/** Ethernet/IPv4/UDP with the marker as payload; `dst`/`src` MACs as hex. */
function udpFrame(dstMac: string, ipSrc: string, ipDst: string): Uint8Array {
  const ip = (t: string) =>
    t
      .split('.')
      .map((n) => Number(n).toString(16).padStart(2, '0'))
      .join('');
  return hex(`${dstMac} 525400123456 0800 4500 0024 0000 4000 4011 0000 ${ip(ipSrc)} ${ip(ipDst)}
    1388 1389 0010 0000 ${MARK}`);
}

function isMarked(data: Uint8Array, off: number): boolean {
  const ipStart = off;
  const payload = data.subarray(ipStart + 28, ipStart + 36);
  return payload.length === 8 && payload.every((b) => b === 0x7a);
}

/** Destinations, with the MAC the sending stack would use (the shared MAC for unicast). */
const FRAME_DSTS: readonly (readonly [string, string])[] = [
  ['10.0.0.1', '525400123456'],
  ['10.0.0.2', '525400123456'],
  ['10.0.0.3', '525400123456'],
  ['10.0.0.254', '525400123456'],
  ['10.0.0.100', '5254000abcde'],
  ['10.0.0.99', '525400123456'],
  ['239.1.1.1', '01005e010101'],
  ['255.255.255.255', 'ffffffffffff'],
  ['10.0.0.255', 'ffffffffffff'],
];

test('RX-L2-2 RX-L3-1 TX-L2-1 TX-L3-1 TX-L3-3 TX-F-1: random frames never reach a non-owner, never cross in private, no group frame leaves an l3 slave', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('mode l2', 'mode l3', 'mode l3s'),
      fc.constantFrom('bridge', 'private', 'vepa'),
      fc.array(
        fc.record({
          from: fc.nat({ max: 3 }), // slave 0..2, or 3 = the wire (ext)
          src: fc.nat({ max: FRAME_DSTS.length - 1 }),
          dst: fc.nat({ max: FRAME_DSTS.length - 1 }),
        }),
        { minLength: 1, maxLength: 12 },
      ),
      async (mode, flag, frames) => {
        const lab = await Lab.create();
        await lab.master();
        for (let n = 0; n < 3; n++) await lab.slave(n, `10.0.0.${n + 1}/24`, `${mode} ${flag}`);
        lab.settle();
        const slaves = [0, 1, 2].map((n) => ipvlanOf(lab.dev(`ns${n}`, `ipvl${n}`))!);
        const master = lab.dev(null, 'veth0');
        const seen: { dev: NetDevice; dir: 'rx' | 'tx'; data: Uint8Array; off: number }[] = [];
        lab.kernel.taps.add({
          dev: null,
          fn: (skb, dir) =>
            seen.push({ dev: skb.dev, dir, data: skb.data.slice(), off: skb.network }),
        });
        const ext = lab.dev('ext', 'veth1');
        for (const f of frames) {
          seen.length = 0;
          const [dstIp, dstMac] = FRAME_DSTS[f.dst] as readonly [string, string];
          const from = f.from < 3 ? (slaves[f.from] as IpvlanDev) : null;
          // From the wire, unicast is addressed to the shared MAC.
          const mac = from === null && dstMac === '5254000abcde' ? '525400123456' : dstMac;
          const frame = udpFrame(mac, (FRAME_DSTS[f.src] as readonly [string, string])[0], dstIp);
          const dev = from?.dev ?? ext;
          const skb = new SkBuff(frame, dev);
          skb.network = 14;
          lab.kernel.devQueueXmit(skb);
          lab.settle(10_000_000);
          const group = (frame[0] as number & 1) === 1;
          const dstKey = ipKey(parseIp(dstIp) as IpAddr);
          for (const e of seen) {
            if (e.dir !== 'rx' || !isMarked(e.data, e.off < 0 ? 14 : e.off)) continue;
            const target = slaves.find((s) => s.dev === e.dev);
            if (target === undefined) continue;
            if (((e.data[0] as number) & 1) === 0) {
              // Unicast reaches only the owner of its destination (RX-*-1/2, TX-*-1).
              assert.ok(
                target.addrs.some((a) => a.key === dstKey),
                `${target.dev.name} got a frame for ${dstIp}`,
              );
              // Private: never from one slave to another (TX-L2-1, TX-L3-1).
              if (flag === 'private' && from !== null)
                assert.equal(target, from, 'private cross-talk');
            }
            // An l3/l3s slave's group frame reaches no other slave (TX-L3-3).
            if (mode !== 'mode l2' && from !== null && group)
              assert.fail(`group frame from ${from.dev.name} reached ${target.dev.name}`);
          }
          if (mode !== 'mode l2' && from !== null && group) {
            // ... and never leaves on the master.
            assert.ok(
              !seen.some((e) => e.dir === 'tx' && e.dev === master && isMarked(e.data, 14)),
            );
          }
        }
      },
    ),
    { numRuns: 30, seed: 0x5eed },
  );
});
