// RTM_*NEIGH through the rtnl API on the emulated kernel: neigh_add's NLM_F_* rules,
// a NOARP device's own MAC for an entry without lladdr, delete, and what a dump carries
// (neigh_fill_info, pneigh_fill_info).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NTF_PROXY, NTF_ROUTER, type NewNeighRequest } from '../../src/rtnl/messages.ts';
import { NS_PER_SEC } from '../../src/stack/scheduler.ts';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  NUD_PERMANENT,
  NUD_STALE,
  RTN_UNICAST,
} from '../../src/uapi/rtnetlink.ts';
import { MacAddr, formatIp, parseIp, type IpAddr } from '../../src/wire/address.ts';
import { sh, standardKernel } from './harness.ts';

function ip(text: string): IpAddr {
  const a = parseIp(text);
  if (a === null) throw new Error(text);
  return a;
}

const MAC7 = MacAddr.parse('52:54:00:00:00:07') ?? MacAddr.ZERO;

async function lab() {
  const { kernel, rtnl } = standardKernel({ inet: true });
  for (const line of [
    'ip link add dum0 address 52:54:00:00:00:02 type dummy',
    'ip link set dum0 up',
    'ip addr add 10.0.0.1/24 dev dum0',
    'ip link add veth0 address 52:54:00:00:01:00 type veth peer name veth1',
    'ip link set veth0 up',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  kernel.scheduler.runFor(NS_PER_SEC);
  // veth_newlink registers the peer first, so look the index up.
  const veth0 = (await rtnl.getLink({}, { ifname: 'veth0' })).ifindex;
  return { kernel, rtnl, veth0 };
}

function req(dst: string, ifindex: number, extra: Partial<NewNeighRequest> = {}): NewNeighRequest {
  return {
    nlm: { create: true, excl: true },
    family: dst.includes(':') ? AF_INET6 : AF_INET,
    ifindex,
    state: NUD_PERMANENT,
    flags: 0,
    dst: ip(dst),
    ...extra,
  };
}

test('add, EEXIST, replace, change of a missing entry, delete', async () => {
  const { rtnl } = await lab();
  await rtnl.newNeigh({}, req('10.0.0.7', 2, { lladdr: MAC7 }));
  await assert.rejects(rtnl.newNeigh({}, req('10.0.0.7', 2, { lladdr: MAC7 })), { code: 'EEXIST' });
  await rtnl.newNeigh(
    {},
    req('10.0.0.7', 2, { nlm: { create: true, replace: true }, state: NUD_STALE, lladdr: MAC7 }),
  );
  await assert.rejects(rtnl.newNeigh({}, req('10.0.0.9', 2, { nlm: { replace: true } })), {
    code: 'ENOENT',
  });
  const dump = await rtnl.dumpNeighs({}, { family: AF_INET });
  assert.equal(dump.length, 1);
  assert.equal(dump[0]?.state, NUD_STALE);
  assert.equal(dump[0]?.type, RTN_UNICAST);
  assert.equal(dump[0]?.lladdr?.toString(), '52:54:00:00:00:07');
  await rtnl.delNeigh({}, { family: AF_INET, ifindex: 2, flags: 0, dst: ip('10.0.0.7') });
  await assert.rejects(
    rtnl.delNeigh({}, { family: AF_INET, ifindex: 2, flags: 0, dst: ip('10.0.0.7') }),
    { code: 'ENOENT' },
  );
  assert.deepEqual(await rtnl.dumpNeighs({}, { family: AF_UNSPEC }), []);
  await assert.rejects(rtnl.newNeigh({}, req('10.0.0.8', 42, { lladdr: MAC7 })), {
    code: 'ENODEV',
  });
  await assert.rejects(rtnl.newNeigh({}, { ...req('10.0.0.8', 2), family: 7 }), {
    code: 'EAFNOSUPPORT',
  });
});

test('no lladdr: a NOARP dummy lends its own MAC; an ARP device has none to give', async () => {
  const { rtnl, veth0 } = await lab();
  await rtnl.newNeigh({}, req('10.0.0.8', 2));
  const [n] = await rtnl.dumpNeighs({}, { family: AF_INET, ifindex: 2 });
  assert.equal(n?.lladdr?.toString(), '52:54:00:00:00:02');
  assert.equal(n?.state, NUD_PERMANENT);
  await assert.rejects(rtnl.newNeigh({}, req('192.168.1.2', veth0)), {
    code: 'EINVAL',
    extack: 'No link layer address given',
  });
});

test('dump: IPv4 before IPv6, router flag, proxies only with proxy', async () => {
  const { rtnl, veth0 } = await lab();
  await rtnl.newNeigh({}, req('2001:db8::7', veth0, { lladdr: MAC7, flags: NTF_ROUTER }));
  await rtnl.newNeigh({}, req('192.168.1.7', veth0, { lladdr: MAC7 }));
  await rtnl.newNeigh({}, req('2001:db8::1', veth0, { flags: NTF_PROXY }));
  const all = await rtnl.dumpNeighs({}, { family: AF_UNSPEC });
  assert.deepEqual(
    all.map((n) => [n.family, formatIp(n.dst), n.flags]),
    [
      [AF_INET, '192.168.1.7', 0],
      [AF_INET6, '2001:db8::7', NTF_ROUTER],
    ],
  );
  assert.ok(all.every((n) => n.cacheinfo !== undefined && n.probes === 0));
  const proxies = await rtnl.dumpNeighs({}, { family: AF_INET6, proxy: true });
  assert.deepEqual(proxies, [
    {
      family: AF_INET6,
      ifindex: veth0,
      state: 0,
      flags: NTF_PROXY,
      type: RTN_UNICAST,
      dst: ip('2001:db8::1'),
    },
  ]);
  await rtnl.delNeigh(
    {},
    { family: AF_INET6, ifindex: veth0, flags: NTF_PROXY, dst: ip('2001:db8::1') },
  );
  assert.deepEqual(await rtnl.dumpNeighs({}, { family: AF_INET6, proxy: true }), []);
  assert.deepEqual(await sh(rtnl, 'ip -6 neigh show dev veth0'), {
    output: '2001:db8::7 lladdr 52:54:00:00:00:07 router PERMANENT \n',
    exit: 0,
  });
});

test('ip neigh flush: `all` is a match-all prefix (get_prefix), static entries stay, `to` takes a prefix', async () => {
  const { rtnl, veth0 } = await lab();
  for (const line of [
    'ip neigh add 192.168.1.7 lladdr 52:54:00:00:00:07 dev veth0 nud stale',
    'ip neigh add 192.168.1.8 lladdr 52:54:00:00:00:08 dev veth0 nud reachable',
    'ip neigh add 192.168.2.9 lladdr 52:54:00:00:00:09 dev veth0 nud stale',
    'ip neigh add 192.168.1.10 lladdr 52:54:00:00:00:0a dev veth0',
    'ip neigh add 2001:db8::7 lladdr 52:54:00:00:00:07 dev veth0 nud stale',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  assert.deepEqual(await sh(rtnl, 'ip neigh show to 192.168.1.0/24'), {
    output:
      '192.168.1.7 dev veth0 lladdr 52:54:00:00:00:07 STALE \n' +
      '192.168.1.8 dev veth0 lladdr 52:54:00:00:00:08 REACHABLE \n' +
      '192.168.1.10 dev veth0 lladdr 52:54:00:00:00:0a PERMANENT \n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip -6 neigh flush 10.0.0.0/8'), {
    output: 'Error: inet6 prefix is expected rather than "10.0.0.0/8".\n',
    exit: 1,
  });
  assert.deepEqual(await sh(rtnl, 'ip neigh flush to 192.168.1.0/24'), { output: '', exit: 0 });
  assert.deepEqual(
    (await rtnl.dumpNeighs({}, { family: AF_UNSPEC })).map((n) => formatIp(n.dst)),
    ['192.168.2.9', '192.168.1.10', '2001:db8::7'],
  );
  assert.deepEqual(await sh(rtnl, 'ip -6 neigh flush all'), { output: '', exit: 0 });
  assert.deepEqual(
    (await rtnl.dumpNeighs({}, { family: AF_UNSPEC })).map((n) => formatIp(n.dst)),
    ['192.168.2.9', '192.168.1.10'],
  );
  assert.deepEqual(await sh(rtnl, 'ip neigh flush all'), { output: '', exit: 0 });
  assert.deepEqual(
    (await rtnl.dumpNeighs({}, { family: AF_UNSPEC })).map((n) => formatIp(n.dst)),
    ['192.168.1.10'],
  );
  assert.deepEqual(await sh(rtnl, `ip neigh flush nud permanent dev veth0`), {
    output: '',
    exit: 0,
  });
  assert.deepEqual(await rtnl.dumpNeighs({}, { family: AF_UNSPEC, ifindex: veth0 }), []);
  assert.deepEqual(await sh(rtnl, 'ip neigh flush'), {
    output: 'Flush requires arguments.\n',
    exit: 1,
  });
});

test('ip -s neigh: ref/used/probes and the flush rounds, as iproute2 6.1 printed them on Linux', async () => {
  const { rtnl } = await lab();
  for (const line of [
    'ip neigh add 192.168.1.7 lladdr 52:54:00:00:00:07 dev veth0 nud stale',
    'ip neigh add 192.168.1.8 lladdr 52:54:00:00:00:08 dev veth0 nud reachable',
    'ip neigh add 192.168.1.9 lladdr 52:54:00:00:00:09 dev veth0',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  // A user-made STALE entry is confirmed 2 × base_reachable_time ago; a REACHABLE one
  // holds a timer reference (ref 1).
  assert.deepEqual(await sh(rtnl, 'ip -s neigh show dev veth0'), {
    output:
      '192.168.1.7 lladdr 52:54:00:00:00:07  used 0/60/0probes 0 STALE \n' +
      '192.168.1.8 lladdr 52:54:00:00:00:08  ref 1 used 0/0/0probes 0 REACHABLE \n' +
      '192.168.1.9 lladdr 52:54:00:00:00:09  used 0/0/0probes 0 PERMANENT \n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip -s neigh flush dev veth0 nud stale'), {
    output: '\n*** Round 1, deleting 1 entries ***\n*** Flush is complete after 1 round ***\n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip -s -s neigh flush all'), {
    output:
      '192.168.1.8 dev veth0 lladdr 52:54:00:00:00:08  ref 1 used 0/0/0probes 0 REACHABLE \n' +
      '\n*** Round 1, deleting 1 entries ***\n*** Flush is complete after 1 round ***\n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip -s neigh flush all'), {
    output: 'Nothing to flush.\n',
    exit: 0,
  });
});
