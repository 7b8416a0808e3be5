// Section 6.1 (NL-1, NL-3) on the emulated machine, through the rtnetlink API that `ip`
// uses: raw IFLA_IPVLAN_MODE/FLAGS numbers as the c5b section of the real-kernel
// recording c-errors.out sent them (its `ipvl-nl` tool), and the generic attributes of
// a create request, for kind `ipvlan` (kind `ipvtap` shares its attributes: its own
// tests are in ipvtap.test.ts and the f19 replay of sc-config.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../../src/base/errno.ts';
import { MacAddr } from '../../src/wire/address.ts';
import {
  IFLA_IPVLAN_FLAGS,
  IFLA_IPVLAN_MODE,
  IPVLAN_F_PRIVATE,
  IPVLAN_F_VEPA,
  IPVLAN_MODE_L2,
  IPVLAN_MODE_L3,
  IPVLAN_MODE_L3S,
} from '../../src/uapi/if.ts';
import type { LinkInfoRequest, LinkMsg } from '../../src/rtnl/messages.ts';
import { Lab, expectRecorded } from './helpers.ts';

const C = 'c-errors';
const S = 'c5b:';

/** `ipvl-nl add|set DEV [mode N] [flags N]` of the recording: the status line it printed. */
async function ipvlNl(
  lab: Lab,
  op: 'add' | 'set',
  name: string,
  data: { mode?: number; flags?: number },
  kind: 'ipvlan' | 'ipvtap' = 'ipvlan',
): Promise<string> {
  const api = lab.session.api;
  const links = await api.dumpLinks({});
  const byName = (n: string): number => links.find((l) => l.ifname === n)?.ifindex ?? 0;
  const linkinfo: LinkInfoRequest = { kind, data };
  try {
    if (op === 'add') {
      await api.newLink(
        {},
        { nlm: { create: true, excl: true }, ifname: name, link: byName('eth0'), linkinfo },
      );
    } else {
      await api.newLink({}, { nlm: {}, ifindex: byName(name), linkinfo });
    }
    return 'ok';
  } catch (err) {
    if (!(err instanceof ErrnoError)) throw err;
    return err.code;
  }
}

/** IFLA_INFO_DATA of an ipvlan link in a dump. */
function ipvlanData(l: LinkMsg): { mode: number; flags: number } | undefined {
  const info = l.linkinfo;
  return info?.kind === 'ipvlan' ? info.data : undefined;
}

async function link(lab: Lab, name: string): Promise<LinkMsg> {
  const l = (await lab.session.api.dumpLinks({})).find((x) => x.ifname === name);
  assert.ok(l, name);
  return l;
}

test('NL-1 MODE-1 LC-4: IFLA_IPVLAN_MODE=1 and FLAGS=2 carry u16 mode 0/1/2 and flags 1/2 (c5b replayed through rtnetlink)', async () => {
  // The uapi numbers themselves.
  assert.deepEqual(
    [IFLA_IPVLAN_MODE, IFLA_IPVLAN_FLAGS, IPVLAN_MODE_L2, IPVLAN_MODE_L3, IPVLAN_MODE_L3S],
    [1, 2, 0, 1, 2],
  );
  assert.deepEqual([IPVLAN_F_PRIVATE, IPVLAN_F_VEPA], [1, 2]);
  const lab = await Lab.create();
  await lab.ok(
    'ip link add eth0 type dummy',
    'ip link set eth0 address 52:54:00:12:34:56',
    'ip link set eth0 up',
  );
  // private|vepa, an unknown flag bit, a mode past l3s: EINVAL (-22 in the recording).
  assert.equal(await ipvlNl(lab, 'add', 'ipvlA', { mode: 0, flags: 3 }), 'EINVAL');
  assert.equal(await ipvlNl(lab, 'add', 'ipvlA', { mode: 0, flags: 4 }), 'EINVAL');
  assert.equal(await ipvlNl(lab, 'add', 'ipvlA', { mode: 3 }), 'EINVAL');
  assert.equal(await ipvlNl(lab, 'add', 'ipvlA', { mode: 65535 }), 'EINVAL');
  // FLAGS alone: mode defaults to l3; flags 1 is private.
  assert.equal(await ipvlNl(lab, 'add', 'ipvlA', { flags: 1 }), 'ok');
  await expectRecorded(lab, C, S, 'ip -d link show ipvlA');
  assert.equal(await ipvlNl(lab, 'add', 'ipvlB', {}), 'ok');
  await expectRecorded(lab, C, S, 'ip -d link show ipvlB');
  assert.equal(await ipvlNl(lab, 'set', 'ipvlA', { flags: 3 }), 'EINVAL');
  assert.equal(await ipvlNl(lab, 'set', 'ipvlA', { mode: 7 }), 'EINVAL');
  // mode 2 = l3s, flags 2 = vepa, on the whole port (ipvlB shows it).
  assert.equal(await ipvlNl(lab, 'set', 'ipvlA', { mode: 2, flags: 2 }), 'ok');
  await expectRecorded(lab, C, S, 'ip -d link show ipvlB', 1);
  assert.deepEqual(ipvlanData(await link(lab, 'ipvlB')), { mode: 2, flags: 2 });
  // A change without data changes nothing.
  assert.equal(await ipvlNl(lab, 'set', 'ipvlA', {}), 'ok');
  await expectRecorded(lab, C, S, 'ip -d link show ipvlB', 2);
  assert.deepEqual(ipvlanData(await link(lab, 'ipvlA')), { mode: 2, flags: 2 });
});

test('NL-3 LC-7: generic attributes of a create request apply as for any device; IFLA_ADDRESS is ignored', async () => {
  const lab = await Lab.create();
  await lab.ok(
    'ip link add eth0 type dummy',
    'ip link set eth0 address 52:54:00:12:34:56',
    'ip netns add ns0',
  );
  const api = lab.session.api;
  const eth0 = await link(lab, 'eth0');
  await api.newLink(
    {},
    {
      nlm: { create: true, excl: true },
      ifname: 'ipvl0',
      link: eth0.ifindex,
      mtu: 1400,
      txqlen: 42,
      numTxQueues: 4,
      numRxQueues: 2,
      address: MacAddr.parse('02:00:00:00:00:01')!,
      linkinfo: { kind: 'ipvlan', data: { mode: IPVLAN_MODE_L3 } },
    },
  );
  const l = await link(lab, 'ipvl0');
  assert.equal(l.mtu, 1400);
  assert.equal(l.txqlen, 42);
  assert.equal(l.numTxQueues, 4);
  assert.equal(l.numRxQueues, 2);
  // LC-7: the slave takes the master's MAC whatever the request said.
  assert.equal(l.address?.toString(), '52:54:00:12:34:56');
  // A later MTU is checked against the device limits only (MTU-2): above the master's
  // 1500 is fine, above 65535 is EINVAL.
  await api.newLink({}, { nlm: {}, ifindex: l.ifindex, mtu: 9000 });
  assert.equal((await link(lab, 'ipvl0')).mtu, 9000);
  await assert.rejects(
    api.newLink({}, { nlm: {}, ifindex: l.ifindex, mtu: 65536 }),
    (e: unknown) => e instanceof ErrnoError && e.code === 'EINVAL',
  );
  // IFLA_NET_NS_* on create: the slave is born in ns0, its master stays behind (NL-2).
  await api.newLink(
    {},
    {
      nlm: { create: true, excl: true },
      ifname: 'ipvl1',
      link: eth0.ifindex,
      netns: { name: 'ns0' },
      linkinfo: { kind: 'ipvlan' },
    },
  );
  assert.equal(lab.net(null).getByName('ipvl1'), undefined);
  assert.ok(lab.net('ns0').getByName('ipvl1'));
  const r = await lab.sh('ip -n ns0 -d link show ipvl1');
  assert.match(r.output, /^2: ipvl1(@if\d+)?: .* link-netnsid 0 .*\n\s+ipvlan {2}mode l3 bridge /s);
  assert.equal(
    (await lab.session.api.dumpLinks({ netns: 'ns0' })).find((x) => x.ifname === 'ipvl1')
      ?.linkNetnsid,
    0,
  );
});
