// A locally generated packet dropped by netfilter OUTPUT or POSTROUTING fails the
// sender's sendmsg(2) with EPERM (nf_hook_slow: NF_DROP without an errno → -EPERM,
// passed up by ip_local_out / ip6_local_out), except on IPv6 ping sockets, whose
// icmpv6_push_pending_frames ignores the result. Forwarded packets never pass OUTPUT,
// and a forwarded packet dropped in POSTROUTING reports nothing to anyone.
//
// Ground truth: test/fixtures/oracle/n-nf-output-eperm (Linux 6.1, iputils 20221126):
// strace shows sendto() = -1 EPERM for raw ICMP, IPv4 ping and UDP sockets and 64 for an
// IPv6 ping socket; iputils ping then prints nothing per packet, no "+N errors", waits
// its linger time and exits 1. The second half replays that recording on the emulated
// machine and compares every command the emulator has, times masked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAddress } from '../../src/stack/inet.ts';
import { nfRegisterHook, type NfInetHook, type NfProto } from '../../src/stack/netfilter/hooks.ts';
import type { NetNamespace } from '../../src/stack/netns.ts';
import { addRoute } from '../../src/stack/route.ts';
import { NS_PER_MS, NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { echoRequest, openSocket } from '../../src/stack/socket.ts';
import { sysctlSet } from '../../src/stack/sysctl.ts';
import { Ipv4Packet } from '../../src/wire/ipv4.ts';
import { Ipv6Packet } from '../../src/wire/ipv6.ts';
import { formatIp, ipv4 } from '../../src/wire/address.ts';
import { maskVariable, oracleRecords } from '../fixtures/oracle/index.ts';
import { OracleShell, replayRecording } from '../rtnl/oracle-shell.ts';
import { dualStackPair, ip4, ip6, link, netns, newKernel } from './helpers.ts';

/** Registers a filter-priority hook that drops packets to `daddr`; returns how many it saw. */
function dropTo(ns: NetNamespace, pf: NfProto, hook: NfInetHook, daddr: string): { seen: number } {
  const count = { seen: 0 };
  nfRegisterHook(ns, {
    pf,
    hook,
    priority: 0,
    owner: `test ${hook} drop ${daddr}`,
    fn: (skb) => {
      const dst =
        pf === 'ipv4'
          ? Ipv4Packet.checked(skb.networkData)?.dst
          : Ipv6Packet.checked(skb.networkData)?.dst;
      if (dst === undefined || formatIp(dst) !== daddr) return 'accept';
      count.seen++;
      return 'drop';
    },
  });
  return count;
}

const pair = () => dualStackPair(3);

for (const hook of ['output', 'postrouting'] as const) {
  test(`${hook} drop: UDP sendto fails with EPERM over IPv4 and IPv6, nothing leaves`, () => {
    const { k, a, b } = pair();
    const d4 = dropTo(a, 'ipv4', hook, '10.0.0.2');
    const d6 = dropTo(a, 'ipv6', hook, 'fd00::2');
    const r4 = openSocket(b, 4, 'udp');
    r4.bind(null, 9);
    const r6 = openSocket(b, 6, 'udp');
    r6.bind(null, 9);
    const s4 = openSocket(a, 4, 'udp');
    const s6 = openSocket(a, 6, 'udp');
    assert.throws(() => s4.sendto(Uint8Array.of(1), ip4('10.0.0.2'), 9), { code: 'EPERM' });
    assert.throws(() => s6.sendto(Uint8Array.of(1), ip6('fd00::2'), 9), { code: 'EPERM' });
    k.scheduler.runFor(10 * NS_PER_MS);
    assert.equal(r4.recvfrom(), null);
    assert.equal(r6.recvfrom(), null);
    assert.equal(d4.seen, 1);
    assert.equal(d6.seen, 1);
    assert.equal(a.drops.get('NETFILTER_DROP'), 2);
    // Other destinations are unaffected: the rule is what fails the call.
    const r4b = openSocket(a, 4, 'udp');
    r4b.bind(null, 9);
    assert.equal(openSocket(a, 4, 'udp').sendto(Uint8Array.of(7), ip4('10.0.0.1'), 9), 1);
    k.scheduler.runFor(10 * NS_PER_MS);
    assert.equal(r4b.recvfrom()?.data[0], 7);
  });

  test(`${hook} drop: an IPv4 ping socket gets EPERM, an IPv6 one does not`, () => {
    const { k, a } = pair();
    const d4 = dropTo(a, 'ipv4', hook, '10.0.0.2');
    const d6 = dropTo(a, 'ipv6', hook, 'fd00::2');
    const p4 = openSocket(a, 4, 'ping');
    const p6 = openSocket(a, 6, 'ping');
    assert.throws(() => p4.sendto(echoRequest(4, 1, new Uint8Array(56)), ip4('10.0.0.2')), {
      code: 'EPERM',
    });
    // ping_v6_sendmsg → icmpv6_push_pending_frames drops the error: sendto() = 64.
    assert.equal(p6.sendto(echoRequest(6, 1, new Uint8Array(56)), ip6('fd00::2')), 64);
    k.scheduler.runFor(10 * NS_PER_MS);
    assert.equal(p4.recvfrom(), null);
    assert.equal(p6.recvfrom(), null);
    assert.equal(p4.recvErr(), null);
    assert.equal(p6.recvErr(), null);
    assert.deepEqual([d4.seen, d6.seen], [1, 1]);
  });
}

test('forwarded packets skip OUTPUT; a POSTROUTING drop of one reports nothing to the sender', () => {
  const k = newKernel(11);
  const h1 = netns(k, 'h1');
  const r = netns(k, 'r');
  const h2 = netns(k, 'h2');
  const [h1e, r0] = link(k, h1, 'eth0', r, 'eth0');
  const [r1, h2e] = link(k, r, 'eth1', h2, 'eth0');
  addAddress(h1e, { local: ip4('10.1.0.2'), prefixLen: 24 });
  addAddress(r0, { local: ip4('10.1.0.1'), prefixLen: 24 });
  addAddress(r1, { local: ip4('10.2.0.1'), prefixLen: 24 });
  addAddress(h2e, { local: ip4('10.2.0.2'), prefixLen: 24 });
  addRoute(h1, { family: 4, dst: ipv4(0), dstLen: 0, gateway: ip4('10.1.0.1') });
  addRoute(h2, { family: 4, dst: ipv4(0), dstLen: 0, gateway: ip4('10.2.0.1') });
  sysctlSet(r, 'net.ipv4.ip_forward', 1);
  const out = dropTo(r, 'ipv4', 'output', '10.2.0.2');
  const sink = openSocket(h2, 4, 'udp');
  sink.bind(null, 9);
  const s = openSocket(h1, 4, 'udp');
  assert.equal(s.sendto(Uint8Array.of(1), ip4('10.2.0.2'), 9), 1);
  k.scheduler.runFor(50 * NS_PER_MS);
  assert.equal(sink.recvfrom()?.data[0], 1);
  assert.equal(out.seen, 0);
  // The router's own packet to h2 does pass OUTPUT and fails its sender.
  assert.throws(() => openSocket(r, 4, 'udp').sendto(Uint8Array.of(2), ip4('10.2.0.2'), 9), {
    code: 'EPERM',
  });
  assert.equal(out.seen, 1);

  const post = dropTo(r, 'ipv4', 'postrouting', '10.2.0.2');
  assert.equal(s.sendto(Uint8Array.of(3), ip4('10.2.0.2'), 9), 1);
  k.scheduler.runFor(50 * NS_PER_MS);
  assert.equal(sink.recvfrom(), null);
  assert.equal(s.recvErr(), null);
  assert.equal(post.seen, 1);
  assert.equal(r.drops.get('NETFILTER_DROP'), 2);
  assert.equal(h1.drops.get('NETFILTER_DROP'), undefined);
});

// ---------------------------------------------------------------- the recording

/** Recorded commands the emulated machine has no tool for (they document the syscalls). */
function notEmulated(command: string): string | undefined {
  const tool = command.split(' ')[0];
  if (tool === 'nstat') return 'nstat (SNMP counters) is not an emulated tool';
  if (tool === 'strace') return 'strace shows the real syscalls; no emulated equivalent';
  if (tool === 'logger') return 'util-linux logger is not an emulated tool';
  if (command.includes('ping_group_range'))
    return 'the emulated ping always uses ICMP datagram sockets (no raw-socket fallback)';
  return undefined;
}

/** `x` lost the quotes around nft's chain specification; put them back. */
function requote(command: string): string {
  const i = command.indexOf('{');
  return i < 0 ? command : `${command.slice(0, i)}'${command.slice(i)}'`;
}

test('n-nf-output-eperm replayed on the emulated machine', async (t) => {
  const { replayed, same, pings } = await replayRecording(
    t,
    'n-nf-output-eperm',
    notEmulated,
    requote,
  );
  assert.equal(pings, 38);
  assert.equal(replayed, 100);
  assert.equal(same, replayed);
});

test('iputils after EPERM: no sendmsg line, no "+N errors", the full linger wait, exit 1', async () => {
  const sh = await OracleShell.open();
  const rec = oracleRecords('n-nf-output-eperm').find((r) => r.command === 'ping -c 2 192.168.1.2');
  assert.ok(rec !== undefined);
  for (const line of [
    'ip link add veth0 type veth peer name veth1',
    'ip link set veth0 up',
    'ip link set veth1 up',
    'ip addr add 192.168.1.1/24 dev veth0',
    'nft add table inet t',
    "nft add chain inet t o '{ type filter hook output priority 0; }'",
    'nft add rule inet t o ip daddr 192.168.1.2 drop',
  ]) {
    assert.equal((await sh.run(line)).exit, 0, line);
  }
  const world = sh.session.world;
  const before = world.now;
  const run = await sh.run('ping -c 2 192.168.1.2');
  // One second between the two probes, then the 10 s linger (no -W): Linux took 11.1 s
  // by /proc/uptime in the probe run described in the fixture README.
  const took = world.now - before;
  assert.ok(took >= 11 * NS_PER_SEC && took < 11.5 * NS_PER_SEC, `took ${took} ns`);
  assert.equal(run.exit, 1);
  assert.doesNotMatch(run.output, /sendmsg|errors/);
  assert.equal(maskVariable(run.output), maskVariable(rec.output));
});
