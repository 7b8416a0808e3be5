// tcpdump against the real-kernel recording test/fixtures/oracle/l-ping.out: the frames
// of the recorded pings are rebuilt byte for byte (same MACs, addresses, lengths) and
// fed to a fake capture; what tcpdump prints must equal Linux's output after masking
// timestamps and ICMP ids. Filters are checked on the same frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internetChecksum, ipv6PseudoSum, sumBytes, finishChecksum } from '../wire/checksum.ts';
import { maskVariable, oracleRecords } from '../../test/fixtures/oracle/index.ts';
import { FakeRtnl } from '../../test/cli/fake-api.ts';
import { fakeSystem } from '../../test/cli/fake-system.ts';
import type { CapturedFrame } from '../rtnl/system.ts';
import type { Ipv6Addr } from '../wire/address.ts';
import { parseIp, type Ipv4Addr } from '../wire/address.ts';
import { compileFilter } from './tcpdump-filter.ts';
import { runTcpdump, startTcpdump, timeOfDay } from './tcpdump.ts';

const MAC0 = [0x52, 0x54, 0, 0, 1, 0];
const MAC1 = [0x52, 0x54, 0, 0, 1, 1];
const BCAST = [255, 255, 255, 255, 255, 255];

function v4(text: string): number[] {
  const a = parseIp(text) as Ipv4Addr;
  return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255];
}

function eth(dst: number[], src: number[], type: number, payload: Uint8Array): Uint8Array {
  return new Uint8Array([...dst, ...src, type >> 8, type & 255, ...payload]);
}

function icmpEcho(type: number, id: number, seq: number, datalen: number): Uint8Array {
  const m = new Uint8Array(8 + datalen);
  m[0] = type;
  m[4] = id >> 8;
  m[5] = id & 255;
  m[6] = seq >> 8;
  m[7] = seq & 255;
  for (let i = 0; i < datalen; i++) m[8 + i] = i & 255;
  const c = internetChecksum(m);
  m[2] = c >> 8;
  m[3] = c & 255;
  return m;
}

function ipv4(src: string, dst: string, proto: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(20);
  const len = 20 + payload.length;
  h.set([0x45, 0, len >> 8, len & 255, 0, 1, 0x40, 0, 64, proto, 0, 0, ...v4(src), ...v4(dst)]);
  const c = internetChecksum(h);
  h[10] = c >> 8;
  h[11] = c & 255;
  return new Uint8Array([...h, ...payload]);
}

function ping4(req: boolean, seq: number, datalen = 56): Uint8Array {
  const [s, d] = req ? ['192.168.1.1', '192.168.1.2'] : ['192.168.1.2', '192.168.1.1'];
  return eth(
    req ? MAC1 : MAC0,
    req ? MAC0 : MAC1,
    0x0800,
    ipv4(s, d, 1, icmpEcho(req ? 8 : 0, 185, seq, datalen)),
  );
}

function ping6(req: boolean, seq: number): Uint8Array {
  const [s, d] = req ? ['2001:db8::1', '2001:db8::2'] : ['2001:db8::2', '2001:db8::1'];
  const src = parseIp(s) as Ipv6Addr;
  const dst = parseIp(d) as Ipv6Addr;
  const icmp = icmpEcho(req ? 128 : 129, 216, seq, 56);
  icmp[2] = 0;
  icmp[3] = 0;
  const c = finishChecksum(sumBytes(icmp, ipv6PseudoSum(src.bytes, dst.bytes, 58, icmp.length)));
  icmp[2] = c >> 8;
  icmp[3] = c & 255;
  const h = new Uint8Array(40);
  h.set([0x60, 0, 0, 0, icmp.length >> 8, icmp.length & 255, 58, 64]);
  h.set(src.bytes, 8);
  h.set(dst.bytes, 24);
  return eth(req ? MAC1 : MAC0, req ? MAC0 : MAC1, 0x86dd, new Uint8Array([...h, ...icmp]));
}

function arp(req: boolean): Uint8Array {
  const body = [0, 1, 8, 0, 6, 4, 0, req ? 1 : 2];
  const payload = req
    ? [...body, ...MAC0, ...v4('192.168.1.1'), 0, 0, 0, 0, 0, 0, ...v4('192.168.1.2')]
    : [...body, ...MAC1, ...v4('192.168.1.2'), ...MAC0, ...v4('192.168.1.1')];
  return eth(req ? BCAST : MAC0, req ? MAC0 : MAC1, 0x0806, new Uint8Array(payload));
}

/** An IPv6 router solicitation (ICMPv6 type 133): what `ip6[40] >= 128 and <= 129` must skip. */
function rs(): Uint8Array {
  const f = ping6(true, 1);
  f[14 + 40] = 133;
  return f;
}

function frames(list: Uint8Array[]): CapturedFrame[] {
  return list.map((bytes, i) => ({
    time: 49_627_720_774_000 + i * 100_000_000,
    bytes,
    direction: 'out',
  }));
}

async function tcpdump(
  argv: string[],
  list: Uint8Array[],
  netns?: string,
): Promise<{ out: string; status: number }> {
  const sys = fakeSystem();
  sys.capture.frames.set(`${netns ?? ''}/veth0`, frames(list));
  sys.capture.frames.set('ns1/veth1', frames(list));
  let out = '';
  const env = {
    api: new FakeRtnl(),
    sys,
    ...(netns === undefined ? {} : { netns }),
    stdout: (t: string) => (out += t),
    stderr: (t: string) => (out += t),
  };
  // The recording starts tcpdump in the background, then pings; the frames exist first
  // here, so the job is started before they are "seen".
  const fresh = new Map(sys.capture.frames);
  for (const k of fresh.keys()) sys.capture.frames.set(k, []);
  const job = await startTcpdump(env, argv);
  if (typeof job === 'number') return { out, status: job };
  for (const [k, v] of fresh) sys.capture.frames.get(k)?.push(...v);
  await job.poll();
  const status = await job.stop();
  return { out, status };
}

const records = oracleRecords('l-ping').filter((r) => r.section === 'tcpdump');

/** The tcpdump argv inside each recorded shell line, and the frames its ping produced. */
const CASES: readonly { argv: string; netns?: string; frames: Uint8Array[] }[] = [
  {
    argv: '-n -i veth0 -c 4 icmp',
    frames: [ping4(true, 1), ping4(false, 1), ping4(true, 2), ping4(false, 2)],
  },
  {
    argv: '-n -t -e -i veth0 -c 4 icmp',
    frames: [ping4(true, 1), ping4(false, 1), ping4(true, 2), ping4(false, 2)],
  },
  {
    argv: '-n -t -e -i veth0 -c 4 arp or icmp',
    frames: [arp(true), arp(false), ping4(true, 1), ping4(false, 1)],
  },
  {
    argv: '-n -t -i veth0 -c 2 icmp6 and ip6[40] >= 128 and ip6[40] <= 129',
    frames: [rs(), ping6(true, 1), ping6(false, 1)],
  },
  {
    argv: '-n -t -e -i veth1 -c 2 icmp',
    netns: 'ns1',
    frames: [ping4(true, 1, 0), ping4(false, 1, 0)],
  },
  { argv: '-n -t -q -i veth0 -c 2 icmp', frames: [ping4(true, 1), ping4(false, 1)] },
];

for (const [i, c] of CASES.entries()) {
  test(`tcpdump ${c.argv} prints what tcpdump 4.99.3 printed`, async () => {
    const r = records[i];
    assert.ok(r !== undefined);
    assert.ok(
      r.command.includes(`tcpdump ${c.argv.replace('>=', '\\>=').replace('<=', '\\<=')} `),
      r.command,
    );
    const got = await tcpdump(c.argv.split(' '), c.frames, c.netns);
    assert.equal(maskVariable(got.out), maskVariable(r.output));
    assert.equal(got.status, 0);
  });
}

test('tcpdump on an unknown interface fails as tcpdump does', async () => {
  const r = records.find((x) => x.command === 'tcpdump -n -i nosuch -c 1');
  assert.ok(r !== undefined);
  const got = await tcpdump(['-n', '-i', 'nosuch', '-c', '1'], []);
  assert.equal(got.out, r.output);
  assert.equal(got.status, r.exit);
});

test('timestamps are the virtual time of day with microseconds', () => {
  assert.equal(timeOfDay(0), '00:00:00.000000');
  assert.equal(timeOfDay(49_627_720_774_123), '13:47:07.720774');
});

test('filters: host/src/dst/net/port/not and byte comparisons select the right frames', () => {
  const udp = eth(
    MAC1,
    MAC0,
    0x0800,
    ipv4('192.168.1.1', '10.0.0.9', 17, new Uint8Array([0x30, 0x39, 0, 53, 0, 8, 0, 0])),
  );
  const all = [ping4(true, 1), ping4(false, 1), arp(true), ping6(true, 1), udp];
  const pick = (expr: string): number[] =>
    all.flatMap((f, i) => (compileFilter(expr.split(' '))(f) ? [i] : []));
  assert.deepEqual(pick('icmp'), [0, 1]);
  assert.deepEqual(pick('host 192.168.1.2'), [0, 1, 2]);
  assert.deepEqual(pick('src host 192.168.1.2'), [1]);
  assert.deepEqual(pick('dst 192.168.1.2 and not arp'), [0]);
  assert.deepEqual(pick('net 10.0.0.0/8'), [4]);
  assert.deepEqual(pick('udp and dst port 53'), [4]);
  assert.deepEqual(pick('port 12345'), [4]);
  assert.deepEqual(pick('ip6 or arp'), [2, 3]);
  assert.deepEqual(pick('ether src 52:54:00:00:01:01'), [1]);
  assert.deepEqual(pick('icmp[0] = 8'), [0]);
  assert.deepEqual(pick('( icmp or udp ) and not src 192.168.1.2'), [0, 4]);
  assert.deepEqual(pick(''), [0, 1, 2, 3, 4]);
});

test('a bad filter is refused with libpcap words; a truncated frame never throws', async () => {
  const got = await tcpdump(['-i', 'veth0', 'host'], []);
  assert.equal(got.out, "tcpdump: can't parse filter expression: syntax error\n");
  assert.equal(got.status, 1);
  const f = compileFilter(['icmp[100:4] > 1 or port 1 or host 1.2.3.4']);
  for (let n = 0; n < 60; n++) assert.equal(f(ping4(true, 1).subarray(0, n)), false);
});

test('tcpdump -w writes a pcap through writeFile and prints no lines', async () => {
  const sys = fakeSystem();
  sys.capture.frames.set('/veth0', []);
  let out = '';
  const files = new Map<string, Uint8Array>();
  const env = {
    api: new FakeRtnl(),
    sys,
    stdout: (t: string) => (out += t),
    stderr: (t: string) => (out += t),
    writeFile: async (p: string, b: Uint8Array) => void files.set(p, b),
  };
  const job = await startTcpdump(env, ['-i', 'veth0', '-w', 'x.pcap', 'icmp']);
  assert.ok(typeof job !== 'number');
  sys.capture.frames.get('/veth0')?.push(...frames([ping4(true, 1), arp(true)]));
  assert.equal(await job.stop(), 0);
  assert.equal(
    out,
    'tcpdump: listening on veth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n' +
      '1 packets captured\n1 packets received by filter\n0 packets dropped by kernel\n',
  );
  const pcap = files.get('x.pcap');
  assert.ok(pcap !== undefined);
  assert.equal(pcap.length, 24 + 16 + 98);
  assert.deepEqual([...pcap.subarray(0, 4)], [0xd4, 0xc3, 0xb2, 0xa1]);
});

test('foreground tcpdump runs until idle and stops', async () => {
  const sys = fakeSystem();
  sys.capture.frames.set('/veth0', []);
  let out = '';
  const status = await runTcpdump(
    { api: new FakeRtnl(), sys, stdout: (t) => (out += t), stderr: (t) => (out += t) },
    ['-n', '-i', 'veth0'],
  );
  assert.equal(status, 0);
  assert.match(out, /0 packets captured\n0 packets received by filter\n/);
});
