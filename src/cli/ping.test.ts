// ping against the real-kernel recording test/fixtures/oracle/l-ping.out: every ping
// command of the ping sections runs over a fake network that answers as the recorded
// one did (veth0 192.168.1.1 / 2001:db8::1 here, veth1 .2 / ::2 in ns1), and the output
// must equal Linux's after masking only the times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../base/errno.ts';
import { AF_INET, AF_INET6 } from '../uapi/rtnetlink.ts';
import { formatIp, isIpv4, parseIp, type IpAddr } from '../wire/address.ts';
import { findRecord, maskVariable, oracleRecords } from '../../test/fixtures/oracle/index.ts';
import { FakeRtnl, linkMsg } from '../../test/cli/fake-api.ts';
import {
  fakeSystem,
  type FakeAnswer,
  type FakeConnect,
  type FakeNet,
} from '../../test/cli/fake-system.ts';
import { formatRtt, runPing } from './ping.ts';

const MS = 1_000_000;
const ip = (t: string): IpAddr => parseIp(t) as IpAddr;

/** Who answers a broadcast echo: nobody, the peer, or the peer and this host. */
type Bcast = 'none' | 'peer' | 'both';

function lpingNet(bcast: Bcast): FakeNet {
  const route = (c: FakeConnect): IpAddr | ErrnoError => {
    const d = formatIp(c.dst);
    if (c.netns === 'ns1') return new ErrnoError('ENETUNREACH');
    if (isIpv4(c.dst)) {
      if (d.startsWith('127.')) return ip('127.0.0.1');
      if (d === '192.168.1.255' && !c.broadcast) return new ErrnoError('EACCES');
      if (d.startsWith('192.168.1.') || c.device !== undefined) return ip('192.168.1.1');
      return new ErrnoError('ENETUNREACH');
    }
    if (d === '::1') return ip('::1');
    if (d.startsWith('2001:db8::')) return ip('2001:db8::1');
    if (d.startsWith('fe80::')) return ip('fe80::5054:ff:fe00:100');
    return new ErrnoError('ENETUNREACH');
  };
  const answer = (c: FakeConnect, _seq: number, data: Uint8Array): FakeAnswer[] => {
    const d = formatIp(c.dst);
    const reply = (from: string, delay: number, scope?: string): FakeAnswer => ({
      kind: 'reply',
      from: ip(from),
      delay,
      ...(scope === undefined ? {} : { scope }),
    });
    if (data.length > 65507) return [];
    if (c.device === 'lo' && !d.startsWith('127.')) return [];
    switch (d) {
      case '127.0.0.1':
      case '192.168.1.1':
      case '::1':
        return [reply(d, 0.05 * MS)];
      case '192.168.1.2':
      case '2001:db8::2':
        return [reply(d, 0.5 * MS)];
      case 'fe80::5054:ff:fe00:101':
        return [reply(d, 0.5 * MS, 'veth0')];
      case '192.168.1.98':
        // The ARP failure answers every queued probe at once, after 3 probes of 1 s.
        return [
          { kind: 'error', offender: ip('192.168.1.1'), type: 3, code: 1, delay: 0, at: 3037 * MS },
        ];
      case '192.168.1.255':
        if (bcast === 'peer') return [reply('192.168.1.2', 0.6 * MS)];
        if (bcast === 'both')
          return [reply('192.168.1.1', 0.3 * MS), reply('192.168.1.2', 0.6 * MS)];
        return [];
      default:
        return [];
    }
  };
  return { route, answer, devices: ['lo', 'veth0'] };
}

function lpingRtnl(): FakeRtnl {
  const api = new FakeRtnl();
  const root = api.ns({});
  root.links.push(linkMsg({ ifindex: 1, ifname: 'lo' }), linkMsg({ ifindex: 2, ifname: 'veth0' }));
  const addr = (ifindex: number, family: number, a: string, prefixlen: number, brd?: string) => ({
    family,
    prefixlen,
    flags: 0x80,
    scope: 0,
    ifindex,
    address: ip(a),
    local: ip(a),
    ...(brd === undefined ? {} : { broadcast: ip(brd) }),
  });
  root.addrs.push(
    addr(1, AF_INET, '127.0.0.1', 8),
    addr(2, AF_INET, '192.168.1.1', 24, '192.168.1.255'),
    addr(1, AF_INET6, '::1', 128),
    addr(2, AF_INET6, '2001:db8::1', 64),
    addr(2, AF_INET6, 'fe80::5054:ff:fe00:100', 64),
  );
  api.spaces.set('ns1', { links: [], addrs: [], routes: [], neighs: [], netns: [] });
  return api;
}

async function run(command: string, bcast: Bcast): Promise<{ out: string; status: number }> {
  let words = command.split(' ');
  let netns: string | undefined;
  if (words[0] === 'ip' && words[1] === 'netns' && words[2] === 'exec') {
    netns = words[3];
    words = words.slice(4);
  }
  assert.equal(words[0], 'ping');
  const sys = fakeSystem(lpingNet(bcast));
  let out = '';
  const env = {
    api: lpingRtnl(),
    sys,
    ...(netns === undefined ? {} : { netns }),
    stdout: (t: string) => (out += t),
    stderr: (t: string) => (out += t),
  };
  const status = await runPing(env, words.slice(1));
  return { out, status };
}

const records = oracleRecords('l-ping');
const pingRecords = records.filter((r) => /^(ip netns exec ns1 )?ping\b/.test(r.command));

test('l-ping has the ping commands this test replays', () => {
  assert.equal(pingRecords.length, 43);
});

for (const r of pingRecords) {
  if (r.section?.startsWith('link down')) continue; // needs a real stack (routes vanish)
  test(`ping matches Linux: $ ${r.command} (line ${r.line})`, async () => {
    let bcast: Bcast = 'none';
    if (r.section === 'ping -b broadcast' && r.command.includes('192.168.1.255')) {
      // The recording switches icmp_echo_ignore_broadcasts off in ns1, then here.
      const earlier = records.filter(
        (x) => x.line < r.line && x.command.includes('icmp_echo_ignore_broadcasts=0'),
      );
      bcast = earlier.length === 0 ? 'none' : earlier.length === 1 ? 'peer' : 'both';
    }
    const got = await run(r.command, bcast);
    assert.equal(maskVariable(got.out), maskVariable(r.output));
    assert.equal(got.status, r.exit);
  });
}

test('round-trip times print as iputils does: three significant decimals', () => {
  assert.equal(formatRtt(714), '0.714');
  assert.equal(formatRtt(1895), '1.90');
  assert.equal(formatRtt(20433), '20.4');
  assert.equal(formatRtt(123456), '123');
  assert.equal(formatRtt(0), '0.000');
});

test('the statistics use virtual time: 3 probes at -i 0.2 take 400ms and rtt comes from the replies', async () => {
  const got = await run('ping -c 3 -i 0.2 192.168.1.2', 'none');
  assert.match(got.out, /3 packets transmitted, 3 received, 0% packet loss, time 400ms\n/);
  assert.match(got.out, /rtt min\/avg\/max\/mdev = 0\.500\/0\.500\/0\.500\/0\.000 ms\n$/);
  assert.equal(
    findRecord(records, 'ping -c 2 -i 0.2 -W 1 192.168.1.2').output.split('\n')[0],
    got.out.split('\n')[0],
  );
});

test('ENOBUFS from sendmsg is retried, then reported as iputils does', async () => {
  const sys = fakeSystem({
    ...lpingNet('none'),
    sendError: () => new ErrnoError('ENOBUFS'),
  });
  let out = '';
  const status = await runPing(
    { api: lpingRtnl(), sys, stdout: (t) => (out += t), stderr: (t) => (out += t) },
    ['-c', '1', '-W', '1', '192.168.1.2'],
  );
  assert.equal(status, 1);
  assert.match(
    out,
    /^PING 192\.168\.1\.2 \(192\.168\.1\.2\) 56\(84\) bytes of data\.\nping: sendmsg: No buffer space available\n/,
  );
  assert.match(out, /1 packets transmitted, 0 received, 100% packet loss/);
  // Retried after 500 ms, given up at the second failure (2 × 500 ms reaches the 1 s
  // linger time), then the usual 1 s wait for a reply to the "sent" probe.
  assert.equal(sys.clock.time, 1500 * MS);
});

test('a unicast duplicate is marked (DUP!)', async () => {
  const net = lpingNet('none');
  const sys = fakeSystem({
    ...net,
    answer: (c, seq, data, at) => [
      ...net.answer(c, seq, data, at),
      ...net.answer(c, seq, data, at),
    ],
  });
  let out = '';
  await runPing({ api: lpingRtnl(), sys, stdout: (t) => (out += t), stderr: (t) => (out += t) }, [
    '-c',
    '2',
    '192.168.1.2',
  ]);
  assert.match(out, /icmp_seq=1 ttl=64 time=0\.500 ms \(DUP!\)\n/);
  assert.match(out, /2 packets transmitted, 2 received, \+1 duplicates, 0% packet loss/);
});
