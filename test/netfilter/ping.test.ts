// Issue 3 checks on the emulated stack: conntrack sees a ping flow NEW then
// ESTABLISHED; a drop rule on input blocks it; masquerade rewrites the source.
// Topology: h1 (10.1.0.2) — r (10.1.0.1 | 10.2.0.1, forwarding) — h2 (10.2.0.2).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAddress } from '../../src/stack/inet.ts';
import { nftRun } from '../../src/stack/netfilter/api.ts';
import { conntrackList } from '../../src/stack/netfilter/conntrack.ts';
import { addRoute } from '../../src/stack/route.ts';
import { NS_PER_MS } from '../../src/stack/scheduler.ts';
import { echoRequest, openSocket } from '../../src/stack/socket.ts';
import { sysctlSet } from '../../src/stack/sysctl.ts';
import { formatIpv4, ipv4, ipv4At, type Ipv4Addr } from '../../src/wire/address.ts';
import { capture, ip4, link, netns, newKernel } from '../stack/helpers.ts';

function topology() {
  const k = newKernel(21);
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
  return { k, h1, r, h2, r1 };
}

function nft(ns: Parameters<typeof nftRun>[0], text: string): void {
  const res = nftRun(ns, text);
  assert.equal(res.status, 0, res.stderr);
}

test('conntrack sees a ping flow NEW, then ESTABLISHED', () => {
  const { k, h1, h2 } = topology();
  nft(
    h2,
    `table inet c {
      chain in {
        type filter hook input priority 0; policy accept;
        icmp type echo-request ct state new counter
        icmp type echo-request ct state established counter
      }
    }`,
  );
  const s = openSocket(h1, 4, 'ping');
  for (const seq of [1, 2]) {
    s.sendto(echoRequest(4, seq, new Uint8Array(56)), ip4('10.2.0.2'));
    k.scheduler.runFor(300 * NS_PER_MS);
    assert.ok(s.recvfrom() !== null, `reply ${seq}`);
  }
  const listing = nftRun(h2, 'list chain inet c in').stdout;
  assert.match(listing, /\t\ticmp type echo-request ct state new counter packets 1 bytes 84\n/);
  assert.match(
    listing,
    /\t\ticmp type echo-request ct state established counter packets 1 bytes 84\n/,
  );
  // Both directions seen: no [UNREPLIED]; ICMP entries are never ASSURED.
  assert.match(
    conntrackList(h2).stdout,
    /^icmp {5}1 29 src=10\.1\.0\.2 dst=10\.2\.0\.2 type=8 code=0 id=\d+ src=10\.2\.0\.2 dst=10\.1\.0\.2 type=0 code=0 id=\d+ mark=0 use=1\n$/,
  );
});

test('a drop rule on input blocks the ping and counts the drop', () => {
  const { k, h1, h2 } = topology();
  nft(
    h2,
    'add table inet f; add chain inet f in { type filter hook input priority 0; policy accept; }; add rule inet f in ip saddr 10.1.0.2 counter drop',
  );
  const s = openSocket(h1, 4, 'ping');
  s.sendto(echoRequest(4, 1, new Uint8Array(56)), ip4('10.2.0.2'));
  k.scheduler.runFor(1000 * NS_PER_MS);
  assert.equal(s.recvfrom(), null);
  assert.equal(h2.drops.get('NETFILTER_DROP'), 1);
  assert.match(
    nftRun(h2, 'list ruleset').stdout,
    /ip saddr 10\.1\.0\.2 counter packets 1 bytes 84 drop/,
  );
});

test('masquerade on the router rewrites the source; replies find their way back', () => {
  const { k, h1, r, r1 } = topology();
  nft(
    r,
    `table ip nat {
      chain post {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "eth1" masquerade
      }
    }`,
  );
  const seen = capture(k, r1); // what r sends towards h2
  const s = openSocket(h1, 4, 'ping');
  s.sendto(echoRequest(4, 1, new Uint8Array(56)), ip4('10.2.0.2'));
  k.scheduler.runFor(300 * NS_PER_MS);
  const reply = s.recvfrom();
  assert.ok(reply !== null);
  assert.equal(formatIpv4(reply.from as Ipv4Addr), '10.2.0.2');
  const echo = seen.find(
    (f) => f[12] === 0x08 && f[13] === 0x00 && f[14 + 9] === 1 && f[14 + 20] === 8,
  );
  assert.ok(echo, 'the echo request leaving r');
  assert.equal(formatIpv4(ipv4At(echo, 14 + 12)), '10.2.0.1');
  assert.match(
    conntrackList(r).stdout,
    /^icmp {5}1 29 src=10\.1\.0\.2 dst=10\.2\.0\.2 type=8 code=0 id=(\d+) src=10\.2\.0\.2 dst=10\.2\.0\.1 type=0 code=0 id=\1 mark=0 use=1\n$/,
  );
});
