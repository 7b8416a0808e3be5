import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIcmpv6Packet } from '../../wire/icmpv6.ts';
import { NS_PER_MS, NS_PER_SEC } from '../scheduler.ts';
import {
  conntrackGet,
  conntrackList,
  conntrackOf,
  conntrackPut,
  nfCtGet,
  IPS_ASSURED,
  IPS_SEEN_REPLY,
} from './conntrack.ts';
import { nfHook, nfHooksAt, NF_IP_PRI_CONNTRACK, NF_IP_PRI_CONNTRACK_CONFIRM } from './hooks.ts';
import {
  echo4,
  echo6,
  icmp4,
  skbOf,
  tcp4,
  testHost,
  traverse,
  udp4,
  v6,
  type TestHost,
} from './test-packets.ts';

function host(): TestHost {
  const h = testHost();
  conntrackGet(h.ns);
  return h;
}

/** Moves the virtual clock forward by `ns` nanoseconds. */
function advance(h: TestHost, ns: number): void {
  h.kernel.scheduler.after(ns, () => {});
  while (h.kernel.scheduler.step());
}

test('conntrack registers at -200 in prerouting/output and confirms at INT_MAX in input/postrouting', () => {
  const { ns } = host();
  for (const pf of ['ipv4', 'ipv6'] as const) {
    assert.deepEqual(
      nfHooksAt(ns, pf, 'prerouting').map((o) => [o.owner, o.priority]),
      [['ct', NF_IP_PRI_CONNTRACK]],
    );
    assert.deepEqual(
      nfHooksAt(ns, pf, 'postrouting').map((o) => [o.owner, o.priority]),
      [['ct confirm', NF_IP_PRI_CONNTRACK_CONFIRM]],
    );
    assert.equal(nfHooksAt(ns, pf, 'forward').length, 0);
  }
  conntrackGet(ns);
  conntrackPut(ns);
  assert.equal(nfHooksAt(ns, 'ipv4', 'input').length, 1, 'still one user');
  conntrackPut(ns);
  assert.equal(nfHooksAt(ns, 'ipv4', 'input').length, 0);
});

test('a ping flow is NEW, confirmed at postrouting, then ESTABLISHED both ways (i-followup format)', () => {
  const h = host();
  const req = skbOf(echo4('10.0.0.1', '10.0.0.100', 'echoRequest', 219), h.eth0);
  assert.equal(nfHook(h.ns, 'ipv4', 'output', req, null, h.eth0), 'accept');
  assert.equal(nfCtGet(req)?.info, 'new');
  assert.equal(conntrackOf(h.ns).entries().length, 0, 'unconfirmed until postrouting');
  assert.equal(nfHook(h.ns, 'ipv4', 'postrouting', req, null, h.eth0), 'accept');
  assert.equal(
    conntrackList(h.ns).stdout,
    'icmp     1 30 src=10.0.0.1 dst=10.0.0.100 type=8 code=0 id=219 [UNREPLIED] ' +
      'src=10.0.0.100 dst=10.0.0.1 type=0 code=0 id=219 mark=0 use=1\n',
  );

  advance(h, 2 * NS_PER_MS);
  const rep = skbOf(echo4('10.0.0.100', '10.0.0.1', 'echoReply', 219), h.eth0);
  assert.equal(traverse(h.ns, 'ipv4', 'in', rep, h.eth0, null), 'accept');
  assert.equal(nfCtGet(rep)?.info, 'established_reply');
  assert.equal(nfCtGet(rep)?.ct, nfCtGet(req)?.ct);

  advance(h, 300 * NS_PER_MS);
  const req2 = skbOf(echo4('10.0.0.1', '10.0.0.100', 'echoRequest', 219, 2), h.eth0);
  traverse(h.ns, 'ipv4', 'out', req2, null, h.eth0);
  assert.equal(nfCtGet(req2)?.info, 'established');

  advance(h, 500 * NS_PER_MS);
  // The line the l3s recording shows after `ping -c 2 -i 0.3` (id differs per run).
  const listing = conntrackList(h.ns);
  assert.equal(
    listing.stdout,
    'icmp     1 29 src=10.0.0.1 dst=10.0.0.100 type=8 code=0 id=219 ' +
      'src=10.0.0.100 dst=10.0.0.1 type=0 code=0 id=219 mark=0 use=1\n',
  );
  assert.equal(
    listing.stderr,
    'conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n',
  );
});

test('a packet dropped between output and postrouting leaves no entry', () => {
  const h = host();
  const req = skbOf(echo4('10.0.0.1', '10.0.0.100', 'echoRequest', 7), h.eth0);
  nfHook(h.ns, 'ipv4', 'output', req, null, h.eth0);
  assert.equal(conntrackOf(h.ns).entries().length, 0);
  // A retransmission is NEW again, not ESTABLISHED.
  const again = skbOf(echo4('10.0.0.1', '10.0.0.100', 'echoRequest', 7), h.eth0);
  nfHook(h.ns, 'ipv4', 'output', again, null, h.eth0);
  assert.equal(nfCtGet(again)?.info, 'new');
});

test('entries expire after 30 s of virtual time; a late reply is then invalid', () => {
  const h = host();
  traverse(
    h.ns,
    'ipv4',
    'out',
    skbOf(echo4('10.0.0.1', '10.0.0.2', 'echoRequest', 3), h.eth0),
    null,
    h.eth0,
  );
  advance(h, 29 * NS_PER_SEC);
  assert.match(conntrackList(h.ns).stdout, /^icmp {5}1 1 /);
  advance(h, NS_PER_SEC);
  assert.equal(conntrackList(h.ns).stdout, '');
  const late = skbOf(echo4('10.0.0.2', '10.0.0.1', 'echoReply', 3), h.eth0);
  traverse(h.ns, 'ipv4', 'in', late, h.eth0, null);
  assert.equal(nfCtGet(late), undefined, 'an echo reply cannot open a connection');
});

test('UDP is UNREPLIED (30 s), then replied; still active after 2 s it becomes an ASSURED stream (120 s)', () => {
  const h = host();
  traverse(
    h.ns,
    'ipv4',
    'out',
    skbOf(udp4('10.0.0.1', '10.0.0.2', 40000, 53), h.eth0),
    null,
    h.eth0,
  );
  assert.match(
    conntrackList(h.ns).stdout,
    /^udp {6}17 30 src=10\.0\.0\.1 dst=10\.0\.0\.2 sport=40000 dport=53 \[UNREPLIED\] src=10\.0\.0\.2 dst=10\.0\.0\.1 sport=53 dport=40000 mark=0 use=1\n$/,
  );
  traverse(
    h.ns,
    'ipv4',
    'in',
    skbOf(udp4('10.0.0.2', '10.0.0.1', 53, 40000), h.eth0),
    h.eth0,
    null,
  );
  const ct = conntrackOf(h.ns).entries()[0];
  assert.ok(ct);
  assert.equal(ct.status & (IPS_SEEN_REPLY | IPS_ASSURED), IPS_SEEN_REPLY);
  advance(h, 3 * NS_PER_SEC);
  traverse(
    h.ns,
    'ipv4',
    'out',
    skbOf(udp4('10.0.0.1', '10.0.0.2', 40000, 53), h.eth0),
    null,
    h.eth0,
  );
  assert.equal(
    conntrackList(h.ns).stdout,
    'udp      17 120 src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=53 src=10.0.0.2 dst=10.0.0.1 sport=53 dport=40000 [ASSURED] mark=0 use=1\n',
  );
});

test('TCP walks SYN_SENT, SYN_RECV, ESTABLISHED [ASSURED], the FIN states and CLOSE on RST', () => {
  const h = host();
  const out = (flags: number): void => {
    traverse(
      h.ns,
      'ipv4',
      'out',
      skbOf(tcp4('10.0.0.1', '10.0.0.2', 33000, 22, flags), h.eth0),
      null,
      h.eth0,
    );
  };
  const back = (flags: number): void => {
    traverse(
      h.ns,
      'ipv4',
      'in',
      skbOf(tcp4('10.0.0.2', '10.0.0.1', 22, 33000, flags), h.eth0),
      h.eth0,
      null,
    );
  };
  const state = (): string =>
    conntrackList(h.ns).stdout.split(' ').filter(Boolean).slice(2, 4).join(' ');
  out(0x02);
  assert.equal(state(), '120 SYN_SENT');
  back(0x12);
  assert.equal(state(), '60 SYN_RECV');
  out(0x10);
  assert.equal(state(), '432000 ESTABLISHED');
  assert.match(conntrackList(h.ns).stdout, / \[ASSURED\] mark=0 use=1\n$/);
  out(0x11);
  assert.equal(state(), '120 FIN_WAIT');
  back(0x10);
  assert.equal(state(), '60 CLOSE_WAIT');
  back(0x11);
  assert.equal(state(), '30 LAST_ACK');
  out(0x10);
  assert.equal(state(), '120 TIME_WAIT');
  out(0x04);
  assert.equal(state(), '10 CLOSE');
});

test('a RST cannot open a TCP connection and counts as invalid', () => {
  const h = host();
  const rst = skbOf(tcp4('10.0.0.1', '10.0.0.2', 1, 2, 0x04), h.eth0);
  traverse(h.ns, 'ipv4', 'out', rst, null, h.eth0);
  assert.equal(nfCtGet(rst), undefined);
  assert.equal(conntrackOf(h.ns).invalid, 1);
});

test('an ICMP error quoting a tracked UDP datagram is RELATED (reply direction)', () => {
  const h = host();
  const sent = udp4('10.0.0.1', '10.0.0.2', 40000, 9);
  traverse(h.ns, 'ipv4', 'out', skbOf(sent, h.eth0), null, h.eth0);
  const err = icmp4('10.0.0.2', '10.0.0.1', {
    kind: 'destUnreachable',
    code: 3,
    nextHopMtu: 0,
    data: sent.subarray(0, 28),
  });
  const skb = skbOf(err, h.eth0);
  traverse(h.ns, 'ipv4', 'in', skb, h.eth0, null);
  assert.equal(nfCtGet(skb)?.info, 'related_reply');
  // An error about a flow nobody tracks is invalid.
  const stray = skbOf(
    icmp4('10.0.0.9', '10.0.0.1', {
      kind: 'destUnreachable',
      code: 3,
      nextHopMtu: 0,
      data: udp4('10.0.0.1', '10.0.0.9', 1, 2).subarray(0, 28),
    }),
    h.eth0,
  );
  traverse(h.ns, 'ipv4', 'in', stray, h.eth0, null);
  assert.equal(nfCtGet(stray), undefined);
});

test('ICMPv6 echo is tracked and listed like conntrack -L; neighbour discovery stays untracked', () => {
  const h = host();
  traverse(
    h.ns,
    'ipv6',
    'out',
    skbOf(echo6('2001:db8::1', '2001:db8::100', 'echoRequest', 497), h.eth0),
    null,
    h.eth0,
  );
  assert.equal(
    conntrackList(h.ns, 'ipv6').stdout,
    'icmpv6   58 30 src=2001:db8::1 dst=2001:db8::100 type=128 code=0 id=497 [UNREPLIED] src=2001:db8::100 dst=2001:db8::1 type=129 code=0 id=497 mark=0 use=1\n',
  );
  assert.equal(conntrackList(h.ns, 'ipv4').stdout, '');
  // A neighbour solicitation (type 135): built as an echo then retyped; conntrack only reads the type.
  const ns = buildIcmpv6Packet(
    { src: v6('2001:db8::100'), dst: v6('ff02::1:ff00:1'), hopLimit: 255 },
    { kind: 'echoRequest', ident: 0, seq: 0, data: new Uint8Array(16) },
  );
  ns[40] = 135;
  const skb = skbOf(ns, h.eth0);
  traverse(h.ns, 'ipv6', 'in', skb, h.eth0, null);
  assert.equal(nfCtGet(skb)?.info, 'untracked');
  assert.equal(conntrackOf(h.ns).entries().length, 1);
});

test('conntrack -F style flush empties the table', () => {
  const h = host();
  traverse(
    h.ns,
    'ipv4',
    'out',
    skbOf(echo4('10.0.0.1', '10.0.0.2', 'echoRequest', 1), h.eth0),
    null,
    h.eth0,
  );
  assert.equal(conntrackOf(h.ns).flush(), 1);
  assert.equal(conntrackList(h.ns).stdout, '');
});
