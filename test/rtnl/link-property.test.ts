// Property: any sequence of link add/del/set and namespace requests against the real
// rtnl either succeeds or rejects with an ErrnoError, and a rejected request leaves
// every namespace's dump as it was. Set requests change one attribute each: like Linux's
// do_setlink, a multi-attribute change that fails part-way keeps the earlier steps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrnoError } from '../../src/base/errno.ts';
import type { NewLinkRequest, RtnlContext } from '../../src/rtnl/messages.ts';
import type { Rtnl } from '../../src/rtnl/server.ts';
import { IFF_NOARP, IFF_PROMISC, IFF_UP } from '../../src/uapi/if.ts';
import { MacAddr } from '../../src/wire/address.ts';
import { standardKernel } from './harness.ts';

const NETNS = ['nsA', 'nsA', 'nsB'] as const;
const NAMES = ['lo', 'd0', 'd1', 'v0', 'br0', 'i0', 'vl0'] as const;
const MTUS = [0, 67, 68, 1000, 1280, 1500, 9000, 65535, 65536, 70000] as const;
const MACS = ['02:00:00:00:00:01', '52:54:00:12:34:56', '01:00:5e:00:00:01', '00:00:00:00:00:00'];

const ctxArb: fc.Arbitrary<RtnlContext> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 4 },
  { arbitrary: fc.constant({ netns: 'nsA' }), weight: 3 },
  { arbitrary: fc.constant({ netns: 'nsB' }), weight: 1 },
);
const nameArb = fc.constantFrom(...NAMES);
const targetArb = fc.oneof(
  { arbitrary: fc.constantFrom(...NETNS).map((name) => ({ name })), weight: 4 },
  { arbitrary: fc.constantFrom(1, 4242).map((pid) => ({ pid })), weight: 1 },
);

type Op =
  | { readonly op: 'netnsAdd' | 'netnsDel'; readonly name: string }
  | {
      readonly op: 'add';
      readonly ctx: RtnlContext;
      readonly req: NewLinkRequest;
      readonly link: string;
    }
  | { readonly op: 'del'; readonly ctx: RtnlContext; readonly name: string }
  | {
      readonly op: 'set';
      readonly ctx: RtnlContext;
      readonly name: string;
      readonly change: Omit<NewLinkRequest, 'nlm'>;
      readonly master?: string;
    };

const linkinfoArb: fc.Arbitrary<NewLinkRequest['linkinfo']> = fc.oneof(
  fc.constant({ kind: 'dummy' as const }),
  fc.constant({ kind: 'bridge' as const }),
  fc.record({ peer: fc.record({ ifname: nameArb }, { requiredKeys: [] }) }).map((data) => ({
    kind: 'veth' as const,
    data,
  })),
  fc
    .record(
      { mode: fc.integer({ min: 0, max: 3 }), flags: fc.integer({ min: 0, max: 4 }) },
      { requiredKeys: [] },
    )
    .map((data) => ({ kind: 'ipvlan' as const, data })),
  fc.record({ id: fc.constantFrom(1, 10, 4095) }).map((data) => ({ kind: 'vlan' as const, data })),
);

const addArb: fc.Arbitrary<Op> = fc
  .record(
    {
      ctx: ctxArb,
      ifname: nameArb,
      linkinfo: linkinfoArb,
      mtu: fc.constantFrom(...MTUS),
      netns: targetArb,
      link: nameArb,
      excl: fc.boolean(),
    },
    { requiredKeys: ['ctx', 'linkinfo', 'link', 'excl'] },
  )
  .map(({ ctx, link, excl, ...rest }) => ({
    op: 'add' as const,
    ctx,
    link,
    req: { nlm: { create: true, excl }, ...rest } as NewLinkRequest,
  }));

const changeArb: fc.Arbitrary<{ change: Omit<NewLinkRequest, 'nlm'>; master?: string }> = fc.oneof(
  fc.constantFrom(IFF_UP, 0).map((flags) => ({ change: { flags, change: IFF_UP } })),
  fc.constantFrom(IFF_PROMISC, 0).map((flags) => ({ change: { flags, change: IFF_PROMISC } })),
  fc.constantFrom(IFF_NOARP, 0).map((flags) => ({ change: { flags, change: IFF_NOARP } })),
  fc.constantFrom(...MTUS).map((mtu) => ({ change: { mtu } })),
  fc
    .constantFrom(...MACS)
    .map((mac) => ({ change: { address: MacAddr.parse(mac) ?? MacAddr.ZERO } })),
  nameArb.map((ifname) => ({ change: { ifname } })),
  targetArb.map((netns) => ({ change: { netns } })),
  fc.integer({ min: 0, max: 5000 }).map((txqlen) => ({ change: { txqlen } })),
  nameArb.map((master) => ({ change: {}, master })),
  fc.constant({ change: { master: 0 } }),
  fc.integer({ min: 0, max: 3 }).map((mode) => ({
    change: { linkinfo: { kind: 'ipvlan' as const, data: { mode } } },
  })),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constantFrom('netnsAdd' as const, 'netnsDel' as const),
    name: fc.constantFrom(...NETNS),
  }),
  addArb,
  addArb,
  fc.record({ op: fc.constant('del' as const), ctx: ctxArb, name: nameArb }),
  fc
    .record({ ctx: ctxArb, name: nameArb, c: changeArb })
    .map(({ ctx, name, c }) => ({ op: 'set' as const, ctx, name, ...c })),
  fc
    .record({ ctx: ctxArb, name: nameArb, c: changeArb })
    .map(({ ctx, name, c }) => ({ op: 'set' as const, ctx, name, ...c })),
);

/** Every namespace's link dump and netns list, as comparable text. */
async function snapshot(rtnl: Rtnl): Promise<string> {
  const parts: unknown[] = [];
  for (const ctx of [{}, ...[...rtnl.kernel.namespaces.keys()].map((netns) => ({ netns }))]) {
    parts.push(ctx, await rtnl.dumpLinks(ctx), await rtnl.netnsList(ctx));
  }
  return JSON.stringify(parts, (_k, v: unknown) => (v instanceof MacAddr ? v.toString() : v));
}

async function ifindexOf(rtnl: Rtnl, ctx: RtnlContext, name: string): Promise<number> {
  try {
    return (await rtnl.getLink(ctx, { ifname: name })).ifindex;
  } catch {
    return 77; // no such device: the request goes out with an ifindex nobody has
  }
}

async function run(rtnl: Rtnl, op: Op): Promise<void> {
  switch (op.op) {
    case 'netnsAdd':
      return rtnl.netnsAdd(op.name);
    case 'netnsDel':
      return rtnl.netnsDel(op.name);
    case 'add': {
      const link = await ifindexOf(rtnl, op.ctx, op.link);
      return rtnl.newLink(op.ctx, { ...op.req, link });
    }
    case 'del':
      return rtnl.delLink(op.ctx, { ifindex: await ifindexOf(rtnl, op.ctx, op.name) });
    case 'set': {
      const req: NewLinkRequest = {
        nlm: {},
        ...op.change,
        ifindex: await ifindexOf(rtnl, op.ctx, op.name),
        ...(op.master === undefined ? {} : { master: await ifindexOf(rtnl, op.ctx, op.master) }),
      };
      return rtnl.newLink(op.ctx, req);
    }
  }
}

test('random link and netns requests: only ErrnoErrors, and a refusal changes nothing', async () => {
  let refused = 0;
  let done = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), async (ops) => {
      const { rtnl } = standardKernel();
      await rtnl.netnsAdd('nsA');
      await rtnl.newLink(
        {},
        { nlm: { create: true, excl: true }, ifname: 'd0', linkinfo: { kind: 'dummy' } },
      );
      for (const op of ops) {
        const before = await snapshot(rtnl);
        try {
          await run(rtnl, op);
          done++;
        } catch (err) {
          if (!(err instanceof ErrnoError)) throw err;
          refused++;
          assert.equal(await snapshot(rtnl), before, `${JSON.stringify(op)} → ${err.code}`);
        }
      }
    }),
    { numRuns: 200, seed: 20240601 },
  );
  // Both outcomes must occur, or the property tested nothing.
  assert.ok(refused > 300 && done > 150, `refused ${refused}, done ${done}`);
});
