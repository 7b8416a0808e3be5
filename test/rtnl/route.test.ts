// RTM_*ROUTE through the rtnl API on the emulated kernel: NLM_F_* semantics of
// fib_table_insert, delete matching, the messages a dump and `route get` carry, and a
// property test that random add/del/replace sequences only ever refuse with ErrnoError
// and leave every dump unchanged when they do.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrnoError } from '../../src/base/errno.ts';
import { RTM_F_CLONED, type NewRouteRequest, type RouteMsg } from '../../src/rtnl/messages.ts';
import { RTCF_LOCAL } from '../../src/rtnl/route.ts';
import type { Rtnl } from '../../src/rtnl/server.ts';
import { NS_PER_SEC } from '../../src/stack/scheduler.ts';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  RTN_LOCAL,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTPROT_BOOT,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
} from '../../src/uapi/rtnetlink.ts';
import { formatIp, parseIp, type IpAddr } from '../../src/wire/address.ts';
import { sh, standardKernel } from './harness.ts';

function ip(text: string): IpAddr {
  const a = parseIp(text);
  if (a === null) throw new Error(text);
  return a;
}

/** A kernel with dum0 (ifindex 2) up, 10.0.0.1/24 and 2001:db8::1/64. */
async function lab(): Promise<{ rtnl: Rtnl; advance: (ns: number) => void }> {
  const { kernel, rtnl } = standardKernel({ inet: true });
  for (const line of [
    'ip link add dum0 address 52:54:00:00:00:02 type dummy',
    'ip link set dum0 up',
    'ip addr add 10.0.0.1/24 dev dum0',
    'ip addr add 2001:db8::1/64 dev dum0 nodad',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  kernel.scheduler.runFor(NS_PER_SEC);
  return { rtnl, advance: (ns) => kernel.scheduler.runFor(ns) };
}

function v4Route(dst: string, len: number, extra: Partial<NewRouteRequest> = {}): NewRouteRequest {
  return {
    nlm: { create: true, excl: true },
    family: AF_INET,
    dstLen: len,
    table: RT_TABLE_MAIN,
    protocol: RTPROT_BOOT,
    scope: RT_SCOPE_UNIVERSE,
    type: RTN_UNICAST,
    flags: 0,
    ...(len > 0 ? { dst: ip(dst) } : {}),
    ...extra,
  };
}

const text = (r: RouteMsg): string =>
  `${r.dst === undefined ? 'default' : `${formatIp(r.dst)}/${r.dstLen}`} ${r.gateway === undefined ? '-' : formatIp(r.gateway)} t${r.table} m${r.priority ?? 0}`;

async function mainV4(rtnl: Rtnl): Promise<string[]> {
  return (await rtnl.dumpRoutes({}, { family: AF_INET }))
    .filter((r) => r.table === RT_TABLE_MAIN)
    .map(text);
}

test('NLM flags: excl is EEXIST, replace swaps in place, prepend/append keep order, change of a missing key is ENOENT', async () => {
  const { rtnl } = await lab();
  const via = (g: string, nlm: NewRouteRequest['nlm']) =>
    v4Route('10.1.0.0', 16, { nlm, gateway: ip(g) });
  await rtnl.newRoute({}, via('10.0.0.254', { create: true, excl: true }));
  await assert.rejects(rtnl.newRoute({}, via('10.0.0.253', { create: true, excl: true })), {
    code: 'EEXIST',
  });
  // The same nexthop again without excl is still a duplicate (fa_match).
  await assert.rejects(rtnl.newRoute({}, via('10.0.0.254', { create: true })), { code: 'EEXIST' });
  await rtnl.newRoute({}, via('10.0.0.253', { create: true, append: true }));
  await rtnl.newRoute({}, via('10.0.0.252', { create: true }));
  assert.deepEqual((await mainV4(rtnl)).slice(1), [
    '10.1.0.0/16 10.0.0.252 t254 m0',
    '10.1.0.0/16 10.0.0.254 t254 m0',
    '10.1.0.0/16 10.0.0.253 t254 m0',
  ]);
  await rtnl.newRoute({}, via('10.0.0.250', { create: true, replace: true }));
  assert.equal((await mainV4(rtnl))[1], '10.1.0.0/16 10.0.0.250 t254 m0');
  await assert.rejects(
    rtnl.newRoute(
      {},
      v4Route('10.9.0.0', 16, { nlm: { replace: true }, gateway: ip('10.0.0.250') }),
    ),
    (e: unknown) => e instanceof ErrnoError && e.code === 'ENOENT' && e.extack === undefined,
  );
  const v6change = {
    ...v4Route('', 0),
    family: AF_INET6,
    dstLen: 48,
    dst: ip('2001:db8:9::'),
    gateway: ip('2001:db8::ff'),
    nlm: { replace: true },
  };
  await assert.rejects(rtnl.newRoute({}, v6change), {
    code: 'ENOENT',
    extack: 'Can not replace route - no match found',
  });
});

test('delete: wildcards and exact fields, ESRCH, host bits, unknown table', async () => {
  const { rtnl } = await lab();
  await rtnl.newRoute({}, v4Route('10.1.0.0', 16, { gateway: ip('10.0.0.254'), priority: 10 }));
  const del = {
    family: AF_INET,
    dstLen: 16,
    dst: ip('10.1.0.0'),
    table: RT_TABLE_MAIN,
    protocol: 0,
    scope: RT_SCOPE_NOWHERE,
    type: 0,
  };
  await assert.rejects(rtnl.delRoute({}, { ...del, gateway: ip('10.0.0.253') }), { code: 'ESRCH' });
  await assert.rejects(rtnl.delRoute({}, { ...del, priority: 11 }), { code: 'ESRCH' });
  await assert.rejects(rtnl.delRoute({}, { ...del, dst: ip('10.1.0.1') }), {
    code: 'EINVAL',
    extack: 'Invalid prefix for given prefix length',
  });
  await assert.rejects(rtnl.delRoute({}, { ...del, table: 7 }), {
    code: 'ESRCH',
    extack: 'FIB table does not exist',
  });
  await rtnl.delRoute({}, { ...del, oif: 2 });
  assert.deepEqual(await mainV4(rtnl), ['10.0.0.0/24 - t254 m0']);
  await assert.rejects(rtnl.delRoute({}, del), { code: 'ESRCH' });
  await assert.rejects(rtnl.delRoute({}, { ...del, oif: 99 }), { code: 'ENODEV' });
});

test('dump: what fib_dump_info and rt6_fill_node send', async () => {
  const { rtnl } = await lab();
  await rtnl.newRoute({}, v4Route('', 0, { gateway: ip('10.0.0.254'), metrics: { mtu: 1400 } }));
  const all = await rtnl.dumpRoutes({}, { family: AF_UNSPEC });
  const firstV6 = all.findIndex((r) => r.family === AF_INET6);
  assert.ok(firstV6 > 0 && all.slice(firstV6).every((r) => r.family === AF_INET6));
  const def = all[0];
  // No RTA_DST for a default route, no RTA_PRIORITY for metric 0 (IPv4).
  assert.deepEqual(def, {
    family: AF_INET,
    dstLen: 0,
    srcLen: 0,
    tos: 0,
    table: RT_TABLE_MAIN,
    protocol: RTPROT_BOOT,
    scope: RT_SCOPE_UNIVERSE,
    type: RTN_UNICAST,
    flags: 0,
    metrics: { mtu: 1400 },
    gateway: ip('10.0.0.254'),
    oif: 2,
  });
  const local = all.find((r) => r.table === RT_TABLE_LOCAL && r.type === RTN_LOCAL && r.oif === 2);
  assert.equal(local?.scope, 254);
  assert.equal(local?.prefsrc !== undefined && formatIp(local.prefsrc), '10.0.0.1');
  // IPv6: scope universe, RTA_PRIORITY and RTA_PREF always; main before local.
  const v6 = all.slice(firstV6);
  const prefix = v6.find((r) => r.dst !== undefined && formatIp(r.dst) === '2001:db8::');
  assert.equal(prefix?.priority, 256);
  assert.equal(prefix?.pref, 0);
  assert.equal(prefix?.scope, RT_SCOPE_UNIVERSE);
  const tables = v6.map((r) => r.table);
  assert.deepEqual(
    tables,
    [...tables].sort((a, b) => a - b),
  );
});

test('IPv6 dump order is the fib6 tree walk: more specific prefixes before the ones containing them', async () => {
  const { rtnl } = await lab();
  const add6 = (dst: string, len: number) =>
    rtnl.newRoute(
      {},
      {
        ...v4Route('', 0),
        family: AF_INET6,
        dstLen: len,
        ...(len > 0 ? { dst: ip(dst) } : {}),
        oif: 2,
      },
    );
  await add6('', 0);
  await add6('2001:db8::', 32);
  await add6('2001:db8:1::', 48);
  await add6('2001:db9::', 32);
  const order = (await rtnl.dumpRoutes({}, { family: AF_INET6 }))

    .filter((r) => r.table === RT_TABLE_MAIN && r.oif === 2)
    .map((r) => (r.dst === undefined ? 'default' : `${formatIp(r.dst)}/${r.dstLen}`));
  assert.deepEqual(order, [
    '2001:db8::/64',
    '2001:db8:1::/48',
    '2001:db8::/32',
    '2001:db9::/32',
    'fe80::/64',
    'default',
  ]);
});

test('route get: the IPv4 cache entry and the IPv6 FIB entry', async () => {
  const { rtnl } = await lab();
  await rtnl.newRoute({}, v4Route('', 0, { gateway: ip('10.0.0.254') }));
  const r = await rtnl.getRoute({}, { family: AF_INET, dst: ip('8.8.8.8') });
  assert.equal(r.flags, RTM_F_CLONED);
  assert.equal(r.dstLen, 32);
  assert.equal(r.protocol, 0);
  assert.equal(r.uid, 0);
  assert.equal(r.prefsrc !== undefined && formatIp(r.prefsrc), '10.0.0.1');
  const local = await rtnl.getRoute({}, { family: AF_INET, dst: ip('10.0.0.1') });
  assert.equal(local.type, RTN_LOCAL);
  assert.equal(local.oif, 1);
  assert.equal(local.flags >>> 0, (RTCF_LOCAL | RTM_F_CLONED) >>> 0);
  const from = await rtnl.getRoute(
    {},
    { family: AF_INET, dst: ip('8.8.8.8'), src: ip('10.0.0.1') },
  );
  assert.equal(from.srcLen, 32);
  assert.equal(from.prefsrc, undefined);
  const six = await rtnl.getRoute({}, { family: AF_INET6, dst: ip('2001:db8::5') });
  assert.equal(six.srcLen, 128);
  assert.equal(six.src !== undefined && formatIp(six.src), '::');
  assert.equal(six.priority, 256);
  assert.equal(six.flags & RTM_F_CLONED, 0);
  await assert.rejects(rtnl.getRoute({}, { family: AF_INET6, dst: ip('2001:db9::1') }), {
    code: 'ENETUNREACH',
  });
  await rtnl.newRoute({}, v4Route('192.0.2.0', 24, { type: RTN_UNREACHABLE }));
  await assert.rejects(rtnl.getRoute({}, { family: AF_INET, dst: ip('192.0.2.1') }), {
    code: 'EHOSTUNREACH',
  });
  const fib = await rtnl.getRoute({}, { family: AF_INET, dst: ip('8.8.8.8'), fibMatch: true });
  assert.equal(fib.dstLen, 0);
  assert.equal(fib.gateway !== undefined && formatIp(fib.gateway), '10.0.0.254');
  await assert.rejects(
    rtnl.getRoute({ netns: 'nosuch' }, { family: AF_INET, dst: ip('8.8.8.8') }),
    {
      code: 'ENOENT',
    },
  );
});

test('ip route get/show print what iproute2 6.1 printed for these messages', async () => {
  const { rtnl } = await lab();
  await sh(rtnl, 'ip route add 10.4.0.0/16 via 10.0.0.253 dev dum0 proto static metric 5 mtu 1400');
  assert.deepEqual(await sh(rtnl, 'ip route show 10.4.0.0/16'), {
    output: '10.4.0.0/16 via 10.0.0.253 dev dum0 proto static metric 5 mtu 1400 \n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip route show root 10.0.0.0/8'), {
    output:
      '10.0.0.0/24 dev dum0 proto kernel scope link src 10.0.0.1 \n' +
      '10.4.0.0/16 via 10.0.0.253 dev dum0 proto static metric 5 mtu 1400 \n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip route show match 10.4.1.1'), {
    output: '10.4.0.0/16 via 10.0.0.253 dev dum0 proto static metric 5 mtu 1400 \n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip -o route get 10.4.1.1'), {
    output: '10.4.1.1 via 10.0.0.253 dev dum0 src 10.0.0.1 uid 0 \\    cache mtu 1400 \n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip -j route get 10.0.0.1'), {
    output:
      '[{"type":"local","dst":"10.0.0.1","dev":"lo","prefsrc":"10.0.0.1","flags":[],"uid":0,"cache":["local"]}]\n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip route add 10.5.0.0/16 via 10.0.0.9 dev dum0 onlink'), {
    output: '',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip route show 10.5.0.0/16'), {
    output: '10.5.0.0/16 via 10.0.0.9 dev dum0 onlink \n',
    exit: 0,
  });
});

// ---------------------------------------------------------------- property

type Op =
  | { kind: 'add' | 'replace' | 'append' | 'change'; req: NewRouteRequest }
  | { kind: 'del'; dst: number; len: number; gw: number | null; prio: number | null };

const gwArb = fc.constantFrom(null, 1, 9, 254, 300);
const dstArb = fc.constantFrom(0x0a010000, 0x0a010100, 0x0a000000, 0, 0x0a010001);
const lenArb = fc.constantFrom(0, 8, 16, 24, 32, 33);

function v4(n: number): IpAddr {
  return ip(`${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc
    .record({
      kind: fc.constantFrom('add', 'replace', 'append', 'change') as fc.Arbitrary<
        'add' | 'replace' | 'append' | 'change'
      >,
      dst: dstArb,
      len: lenArb,
      gw: gwArb,
      dev: fc.constantFrom(undefined, 2, 7),
      prio: fc.constantFrom(undefined, 0, 10),
      type: fc.constantFrom(RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, 42),
      scope: fc.constantFrom(RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, 254),
      table: fc.constantFrom(RT_TABLE_MAIN, RT_TABLE_LOCAL, 100),
    })
    .map(({ kind, dst, len, gw, dev, prio, type, scope, table }) => {
      const nlm =
        kind === 'add'
          ? { create: true, excl: true }
          : kind === 'replace'
            ? { create: true, replace: true }
            : kind === 'append'
              ? { create: true, append: true }
              : { replace: true };
      const req: NewRouteRequest = {
        nlm,
        family: AF_INET,
        dstLen: len,
        table,
        protocol: RTPROT_BOOT,
        scope,
        type,
        flags: 0,
        ...(len > 0 ? { dst: v4(dst) } : {}),
        ...(gw !== null ? { gateway: v4(0x0a000000 + gw) } : {}),
        ...(dev !== undefined ? { oif: dev } : {}),
        ...(prio !== undefined ? { priority: prio } : {}),
      };
      return { kind, req };
    }),
  fc
    .record({ dst: dstArb, len: lenArb, gw: gwArb, prio: fc.constantFrom(null, 0, 10) })
    .map((d) => ({ kind: 'del' as const, ...d })),
);

test('property: random route add/del/replace refuse only with ErrnoError and a refusal changes no dump', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), async (ops) => {
      const { rtnl } = await lab();
      for (const op of ops) {
        const before = JSON.stringify(await rtnl.dumpRoutes({}, { family: AF_UNSPEC }));
        try {
          if (op.kind === 'del') {
            await rtnl.delRoute(
              {},
              {
                family: AF_INET,
                dstLen: op.len,
                table: RT_TABLE_MAIN,
                protocol: 0,
                scope: RT_SCOPE_NOWHERE,
                type: 0,
                ...(op.len > 0 ? { dst: v4(op.dst) } : {}),
                ...(op.gw !== null ? { gateway: v4(0x0a000000 + op.gw) } : {}),
                ...(op.prio !== null ? { priority: op.prio } : {}),
              },
            );
          } else {
            await rtnl.newRoute({}, op.req);
          }
        } catch (err) {
          assert.ok(err instanceof ErrnoError, `not an ErrnoError: ${String(err)}`);
          const after = JSON.stringify(await rtnl.dumpRoutes({}, { family: AF_UNSPEC }));
          assert.equal(after, before, `${op.kind} refused with ${err.code} but changed the dump`);
        }
        // Every dump stays printable by the CLI.
        const shown = await sh(rtnl, 'ip route show table all');
        assert.equal(shown.exit, 0);
      }
    }),
    { numRuns: 60 },
  );
});
