// sysctl against the real-kernel recording test/fixtures/oracle/l-ping.out: every sysctl
// command of the recording, replayed in order on one fake /proc/sys/net (which applies
// Linux's forwarding propagation), must print what procps printed and exit the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oracleRecords } from '../../test/fixtures/oracle/index.ts';
import { FakeRtnl } from '../../test/cli/fake-api.ts';
import { fakeSystem } from '../../test/cli/fake-system.ts';
import { runSysctl } from './sysctl.ts';

function lpingSysctl(): ReturnType<typeof fakeSystem> {
  const sys = fakeSystem();
  for (const ns of ['', 'ns1']) {
    const t = new Map<string, string>([
      ['net.ipv4.ip_forward', '0'],
      ['net.ipv4.icmp_echo_ignore_broadcasts', '1'],
    ]);
    const devs = ns === '' ? ['all', 'default', 'lo', 'veth0'] : ['all', 'default', 'lo', 'veth1'];
    for (const d of devs) {
      t.set(`net.ipv4.conf.${d}.forwarding`, '0');
      t.set(`net.ipv4.conf.${d}.proxy_arp`, '0');
      t.set(`net.ipv6.conf.${d}.forwarding`, '0');
      t.set(`net.ipv6.conf.${d}.accept_dad`, '1');
    }
    sys.sysctl.spaces.set(ns, t);
  }
  return sys;
}

test('every sysctl command of l-ping prints what procps printed, in order', async () => {
  const sys = lpingSysctl();
  const api = new FakeRtnl();
  const records = oracleRecords('l-ping');
  let replayed = 0;
  for (const r of records) {
    if (r.command === 'echo 0 > /proc/sys/net/ipv4/ip_forward') {
      await sys.sysctl.set({}, 'net.ipv4.ip_forward', '0');
      continue;
    }
    const m = /^(?:ip netns exec (\S+) )?sysctl (.*)$/.exec(r.command);
    if (m === null) continue;
    let out = '';
    const env = {
      api,
      sys,
      ...(m[1] === undefined ? {} : { netns: m[1] }),
      stdout: (t: string) => (out += t),
      stderr: (t: string) => (out += t),
    };
    const status = await runSysctl(env, (m[2] ?? '').split(' '));
    assert.equal(out, r.output, `$ ${r.command} (line ${r.line})`);
    assert.equal(status, r.exit, `exit of $ ${r.command}`);
    replayed++;
  }
  assert.equal(replayed, 24);
});

test('sysctl -e ignores unknown keys, -N prints names, -a lists every key', async () => {
  const sys = lpingSysctl();
  let out = '';
  const env = {
    api: new FakeRtnl(),
    sys,
    stdout: (t: string) => (out += t),
    stderr: (t: string) => (out += t),
  };
  assert.equal(await runSysctl(env, ['-e', 'net.ipv4.nosuch', '-N', 'net.ipv4.ip_forward']), 0);
  assert.equal(out, 'net.ipv4.ip_forward\n');
  out = '';
  assert.equal(await runSysctl(env, ['-a']), 0);
  assert.equal(out.split('\n').length - 1, 18);
  assert.match(out, /^net\.ipv4\.conf\.all\.forwarding = 0\n/);
});

test('sysctl with no variable or a bad option prints usage and exits 1', async () => {
  let out = '';
  const env = {
    api: new FakeRtnl(),
    sys: lpingSysctl(),
    stdout: (t: string) => (out += t),
    stderr: (t: string) => (out += t),
  };
  assert.equal(await runSysctl(env, []), 1);
  assert.match(out, /^sysctl: no variables specified\n\nUsage:\n sysctl \[options\]/);
  out = '';
  assert.equal(await runSysctl(env, ['-Z']), 1);
  assert.match(out, /^sysctl: invalid option -- 'Z'\n/);
});
