// The seams the ipvlan driver uses (see the header comments of ipv4.ts, ipv6.ts,
// inet.ts, addrconf.ts): pinned output lookups with the IPv4 on-link fallback,
// ipLocalOut through the namespace's output path, and the l3mdev receive hook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAddress } from '../../src/stack/inet.ts';
import { addAddress6 } from '../../src/stack/addrconf.ts';
import { createDummy } from '../../src/stack/dummy.ts';
import {
  ipBuildSkb,
  ipLocalOut,
  ipRouteInput,
  ipRouteOutput,
  L3MDEV_RCV,
  type L3mdevRcv,
} from '../../src/stack/ipv4.ts';
import { ip6RouteOutput } from '../../src/stack/ipv6.ts';
import { nfRegisterHook } from '../../src/stack/netfilter/hooks.ts';
import { addRoute } from '../../src/stack/route.ts';
import { NS_PER_MS, NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { openSocket } from '../../src/stack/socket.ts';
import { neighAdd } from '../../src/stack/stack.ts';
import { Ipv4Packet } from '../../src/wire/ipv4.ts';
import { formatIpv4, ipv4, type Ipv4Addr } from '../../src/wire/address.ts';
import { IPPROTO_UDP } from '../../src/uapi/rtnetlink.ts';
import { capture, ip4, ip6, link, netns, newKernel } from './helpers.ts';

test('pinned IPv4 output: routes via the master only, else on-link on the master (TX-L3-4)', () => {
  const k = newKernel();
  const host = netns(k, 'host');
  const peer = netns(k, 'peer');
  const [master] = link(k, host, 'eth0', peer, 'eth0');
  const other = createDummy(k, host, 'other0');
  k.devOpen(other);
  addAddress(master, { local: ip4('192.168.1.1'), prefixLen: 24 });
  addAddress(other, { local: ip4('172.16.0.1'), prefixLen: 16 });
  addRoute(host, { family: 4, dst: ipv4(0), dstLen: 0, gateway: ip4('172.16.0.254') });
  // The default route leaves via other0: with oif pinned it does not count.
  const rt = ipRouteOutput(host, {
    daddr: ip4('8.8.8.8'),
    saddr: ip4('10.9.9.9'),
    oif: master,
    anySrc: true,
  });
  assert.equal(rt.dev, master);
  assert.equal(rt.gateway, null);
  assert.equal(rt.type, 'unicast');
  assert.equal(formatIpv4(rt.src), '10.9.9.9');
  // Without ANYSRC a foreign source is refused.
  assert.throws(
    () => ipRouteOutput(host, { daddr: ip4('8.8.8.8'), saddr: ip4('10.9.9.9'), oif: master }),
    { code: 'EINVAL' },
  );
  // A route via the master is used with its gateway.
  addRoute(host, { family: 4, dst: ip4('10.50.0.0'), dstLen: 16, gateway: ip4('192.168.1.254') });
  const viaGw = ipRouteOutput(host, { daddr: ip4('10.50.1.1'), oif: master, anySrc: true });
  assert.equal(formatIpv4(viaGw.gateway as Ipv4Addr), '192.168.1.254');
  // The master's own address is a local route (TX-L3-6).
  assert.equal(ipRouteOutput(host, { daddr: ip4('192.168.1.1'), oif: master }).type, 'local');
  // IPv6 has no on-link fallback.
  assert.throws(
    () =>
      ip6RouteOutput(host, { daddr: ip6('2001:db8::5'), saddr: ip6('2001:db8::9'), oif: master }),
    { code: 'ENETUNREACH' },
  );
  // A down master: ENETUNREACH (TX-L3-5).
  k.devClose(master);
  assert.throws(() => ipRouteOutput(host, { daddr: ip4('8.8.8.8'), oif: master, anySrc: true }), {
    code: 'ENETUNREACH',
  });
});

test('ipLocalOut sends through OUTPUT/POSTROUTING and ARP on the master, TTL untouched', () => {
  const k = newKernel();
  const host = netns(k, 'host');
  const peer = netns(k, 'peer');
  const [master, far] = link(k, host, 'eth0', peer, 'eth0');
  addAddress(master, { local: ip4('192.168.1.1'), prefixLen: 24 });
  addAddress(far, { local: ip4('192.168.1.20'), prefixLen: 24 });
  const hooks: string[] = [];
  for (const hook of ['output', 'postrouting'] as const)
    nfRegisterHook(host, {
      pf: 'ipv4',
      hook,
      priority: 0,
      owner: 'test',
      fn: () => (hooks.push(hook), 'accept'),
    });
  const sock = openSocket(peer, 4, 'udp');
  sock.bind(null, 4000);
  const rt = ipRouteOutput(host, {
    daddr: ip4('192.168.1.20'),
    saddr: ip4('10.0.0.7'),
    oif: master,
    anySrc: true,
  });
  const payload = Uint8Array.of(0x0f, 0xa0, 0x0f, 0xa0, 0, 12, 0, 0, 1, 2, 3, 4);
  const skb = ipBuildSkb(host, rt, payload, { protocol: IPPROTO_UDP, ttl: 17 });
  const frames = capture(k, master);
  assert.equal(ipLocalOut(host, skb, rt), 'ok');
  k.scheduler.runFor(10 * NS_PER_MS);
  assert.deepEqual(hooks, ['output', 'postrouting']);
  const ipFrame = frames.find((f) => f[12] === 0x08 && f[13] === 0x00)!;
  const ip = Ipv4Packet.checked(ipFrame.subarray(14))!;
  assert.equal(ip.ttl, 17);
  assert.equal(formatIpv4(ip.src), '10.0.0.7');
  const got = sock.recvfrom();
  assert.ok(got !== null);
  assert.deepEqual([...got.data], [1, 2, 3, 4]);
});

test('the l3mdev hook routes in the slave namespace; a LOCAL_IN hook hands the packet over', () => {
  const k = newKernel();
  const host = netns(k, 'host');
  const client = netns(k, 'client');
  const slaveNs = netns(k, 'slave');
  const [master, cdev] = link(k, host, 'eth0', client, 'eth0', [
    '02:00:00:00:00:01',
    '02:00:00:00:00:02',
  ]);
  addAddress(master, { local: ip4('192.168.1.1'), prefixLen: 24 });
  addAddress(cdev, { local: ip4('192.168.1.2'), prefixLen: 24 });
  const slave = createDummy(k, slaveNs, 'ipvl0');
  k.devOpen(slave);
  addAddress(slave, { local: ip4('192.168.1.50'), prefixLen: 24 });
  const handler: L3mdevRcv = (skb) => {
    const ip = Ipv4Packet.checked(skb.networkData);
    if (ip === null || ip.dst !== ip4('192.168.1.50')) return null;
    const rt = ipRouteInput(ip.dst, ip.src, slave);
    return rt.kind === 'local' ? rt : null;
  };
  master.proto.set(L3MDEV_RCV, handler);
  const seen: string[] = [];
  nfRegisterHook(host, {
    pf: 'ipv4',
    hook: 'input',
    priority: 0x7fffffff,
    owner: 'ipvlan l3s',
    fn: (skb) => {
      seen.push(skb.dev.path);
      const ip = Ipv4Packet.checked(skb.networkData);
      if (ip?.dst === ip4('192.168.1.50')) skb.dev = slave;
      return 'accept';
    },
  });
  const sock = openSocket(slaveNs, 4, 'udp');
  sock.bind(null, 53);
  neighAdd(client, { dev: cdev, dst: ip4('192.168.1.50'), lladdr: master.address });
  const c = openSocket(client, 4, 'udp');
  c.sendto(Uint8Array.of(42), ip4('192.168.1.50'), 53);
  k.scheduler.runFor(10 * NS_PER_MS);
  assert.deepEqual(seen, ['host/eth0']);
  const got = sock.recvfrom();
  assert.ok(got !== null);
  assert.equal(got.ifindex, slave.ifindex);
  // Only unjoined IPv6 multicast (MLD reports) is dropped, as in Linux.
  assert.deepEqual(
    [...host.drops.keys()].filter((r) => r !== 'NOT_SPECIFIED'),
    [],
  );
});

test('IPv6 addresses are announced and removed on the inet6addr chain; down flushes them', () => {
  const k = newKernel();
  const ns = netns(k, 'n');
  const peer = netns(k, 'p');
  const [d] = link(k, ns, 'eth0', peer, 'eth0');
  const events: string[] = [];
  k.inet6addrChain.push((e) => (e.dev === d ? events.push(`${e.type} ${e.addr.toString()}`) : 0));
  k.scheduler.runFor(1);
  addAddress6(d, { addr: ip6('2001:db8::1'), prefixLen: 64 });
  k.devClose(d);
  k.scheduler.runFor(NS_PER_SEC);
  const ll = events[0]!.slice('NETDEV_UP '.length);
  assert.ok(ll.startsWith('fe80::'));
  assert.deepEqual(events, [
    `NETDEV_UP ${ll}`,
    'NETDEV_UP 2001:db8::1',
    'NETDEV_DOWN 2001:db8::1',
    `NETDEV_DOWN ${ll}`,
  ]);
});
