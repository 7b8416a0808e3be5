// `ipvlan run` end to end on the real emulated stack (rtnl server, IP stack, ipvlan
// driver, emulated wire and router): the seed HOWTO's example as examples/seed.sh has
// it, checked against the real kernel's ping output for the same commands
// (test/fixtures/oracle/a-seed-l2.out) after masking times; plus --bare, --trace and
// --pcap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRecord, maskVariable, oracleRecords } from '../fixtures/oracle/index.ts';
import { parseRunArgs, runScriptText, type RunOptions } from '../../src/bin/run.ts';
import { readPcapng } from '../../src/wire/pcapng.ts';

const SEED = readFileSync(new URL('../../examples/seed.sh', import.meta.url), 'utf8');
const PLAIN: RunOptions = { bare: false, trace: false, pcap: undefined };

async function run(text: string, options: RunOptions = PLAIN) {
  let out = '';
  let err = '';
  const status = await runScriptText(text, 'script.sh', options, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
  });
  return { out, err, status };
}

/** Splits ping output into one block per ping command (each starts with `PING `). */
function pingBlocks(out: string): string[] {
  return out.split(/(?=^PING )/m).filter((b) => b !== '');
}

test('examples/seed.sh: slave↔slave pings print what Linux printed for the same commands', async () => {
  const got = await run(SEED);
  const blocks = pingBlocks(got.out);
  assert.equal(blocks.length, 4);
  const a = oracleRecords('a-seed-l2');
  for (const [i, cmd] of [
    'ip netns exec ns0 ping -c 3 -i 0.2 -W 2 192.168.50.11',
    'ip netns exec ns1 ping -c 3 -i 0.2 -W 2 192.168.50.10',
  ].entries()) {
    assert.equal(maskVariable(blocks[i] ?? ''), maskVariable(findRecord(a, cmd).output));
  }
  assert.equal(got.status, 0);
});

test('examples/seed.sh: each slave reaches the router on the wire', async () => {
  const blocks = pingBlocks((await run(SEED)).out);
  for (const b of blocks.slice(2)) {
    assert.equal(
      maskVariable(b),
      'PING 192.168.50.1 (192.168.50.1) 56(84) bytes of data.\n' +
        '64 bytes from 192.168.50.1: icmp_seq=1 ttl=64 time=<T> ms\n' +
        '64 bytes from 192.168.50.1: icmp_seq=2 ttl=64 time=<T> ms\n\n' +
        '--- 192.168.50.1 ping statistics ---\n' +
        '2 packets transmitted, 2 received, 0% packet loss, time <T>ms\n' +
        'rtt min/avg/max/mdev = <T>/<T>/<T>/<T> ms\n',
    );
  }
});

test(
  'examples/seed.sh prints nothing on stderr, as on Linux',
  { todo: 'the rtnl server answers RTM_NEWROUTE with EOPNOTSUPP until routes land' },
  async () => {
    assert.equal((await run(SEED)).err, '');
  },
);

test('--bare starts with lo only; the default host has lo and eth0 on 192.168.50.2/24', async () => {
  const bare = await run('ip -br link\n', { ...PLAIN, bare: true });
  assert.equal(
    bare.out,
    'lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \n',
  );
  const full = await run('ip -br -4 addr\n');
  assert.equal(
    full.out,
    'lo               UNKNOWN        127.0.0.1/8 \neth0             UP             192.168.50.2/24 \n',
  );
});

test('a failing command does not stop the script; the last status is the exit status', async () => {
  const got = await run('ip link del nosuch\necho after\nsysctl net.ipv4.nosuch\n', {
    ...PLAIN,
    bare: true,
  });
  assert.equal(got.out, 'after\n');
  assert.equal(
    got.err,
    'Cannot find device "nosuch"\nsysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory\n',
  );
  assert.equal(got.status, 1);
});

test('sysctl and ping run inside a namespace entered with ip netns exec', async () => {
  const got = await run(
    'ip netns add ns0\nip netns exec ns0 sysctl -w net.ipv4.ip_forward=1\nsysctl -n net.ipv4.ip_forward\n' +
      'ip netns exec ns0 ping -c 1 127.0.0.1\n',
    { ...PLAIN, bare: true },
  );
  // lo of a new namespace is down: no route to 127.0.0.1 there.
  assert.equal(got.out, 'net.ipv4.ip_forward = 1\n0\n');
  assert.equal(got.err, 'ping: connect: Network is unreachable\n');
  assert.equal(got.status, 2);
});

test('--trace prints trace events with virtual time; --pcap writes every device as netns/ifname', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipvlan-run-'));
  try {
    const pcap = join(dir, 'x.pcapng');
    const got = await run('ping -c 1 -W 1 192.168.50.1\n', { bare: false, trace: true, pcap });
    assert.equal(got.status, 0);
    assert.match(got.err, /^\[ *\d+\.\d{6}\] host1 \S+ \S+: /m);
    const file = readPcapng(readFileSync(pcap));
    const names = file.interfaces.map((i) => i.name);
    assert.ok(file.packets.length >= 4);
    assert.ok(names.includes('host1/eth0'), names.join(','));
    assert.ok(names.includes('router/eth0'), names.join(','));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run options are parsed as documented', () => {
  assert.deepEqual(parseRunArgs(['--bare', '--pcap', 'f.pcapng', 'x.sh']), {
    options: { bare: true, trace: false, pcap: 'f.pcapng', switchHairpin: false },
    file: 'x.sh',
  });
  assert.equal(parseRunArgs(['--nope', 'x.sh']), "ipvlan run: unknown option '--nope'");
  assert.equal(parseRunArgs([]), 'ipvlan run: no script given');
});
