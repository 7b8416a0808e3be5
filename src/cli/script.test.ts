// The script interpreter against the fake rtnl and system APIs: expansion and quoting
// as bash does them, bash's messages, namespace entry with `ip netns exec NS bash`,
// virtual sleep, background captures, and the exit status of a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRtnl, linkMsg } from '../../test/cli/fake-api.ts';
import { fakeSystem } from '../../test/cli/fake-system.ts';
import { Shell, type ShellOptions } from './script.ts';

function shell(options: ShellOptions = { scriptName: 't.sh' }) {
  const api = new FakeRtnl();
  const sys = fakeSystem();
  let out = '';
  const sh = new Shell(
    { api, sys, stdout: (t) => (out += t), stderr: (t) => (out += `E:${t}`) },
    options,
  );
  return { api, sys, sh, output: () => out };
}

test('variables expand in words and double quotes, not in single quotes', async () => {
  const { sh, output } = shell();
  const status = await sh.runScript(
    [
      '# the HOWTO leaves these to the reader',
      'IPADDR=192.168.50.10/24',
      'ROUTER="192.168.50.1"  # comment after a command',
      'echo $IPADDR "${ROUTER}" \'$IPADDR\' ${IPADDR}x a\\ b "q\\"x"',
      'WORDS="a   b"',
      'echo $WORDS "$WORDS" $NOSUCH end',
    ].join('\n'),
  );
  assert.equal(status, 0);
  assert.equal(
    output(),
    '192.168.50.10/24 192.168.50.1 $IPADDR 192.168.50.10/24x a b q"x\na b a   b end\n',
  );
});

test("an unknown command prints bash's script message, exits 127, and the run goes on", async () => {
  const { sh, output } = shell();
  const status = await sh.runScript('echo one\n\nfoo --bar\necho $?\n');
  assert.equal(output(), 'one\nE:t.sh: line 3: foo: command not found\n127\n');
  assert.equal(status, 0);
  const i = shell({});
  await i.sh.runLine('foo');
  assert.equal(i.output(), 'E:bash: foo: command not found\n');
  assert.equal(i.sh.status, 127);
});

test("the last command's status is the script's; exit ends it early", async () => {
  assert.equal(await shell().sh.runScript('true\nfalse\n'), 1);
  const { sh, output } = shell();
  assert.equal(await sh.runScript('echo a\nexit 3\necho b\n'), 3);
  assert.equal(output(), 'a\n');
});

test('&&, || and ; chain as in bash', async () => {
  const { sh, output } = shell();
  await sh.runScript('false && echo no || echo yes; true || echo no; echo $?\n');
  assert.equal(output(), 'yes\n0\n');
});

test('ip netns exec NS bash enters NS until exit; ip netns exec NS CMD runs one command there', async () => {
  const { api, sh, output } = shell();
  api.ns({}).links.push(linkMsg({ ifindex: 1, ifname: 'lo' }));
  api.spaces.set('ns0', {
    links: [linkMsg({ ifindex: 1, ifname: 'lo' })],
    addrs: [],
    routes: [],
    neighs: [],
    netns: [],
  });
  await sh.runScript(
    [
      'ip netns exec ns0 bash',
      'ip link set dev lo up',
      'exit',
      'ip link set dev lo up',
      'ip netns exec ns0 ip link set dev lo up',
      'ip netns exec nosuch bash',
    ].join('\n'),
  );
  assert.deepEqual(
    api.calls.filter((c) => c[0] === 'newLink').map((c) => c[1]),
    ['ns0', undefined, 'ns0'],
  );
  assert.equal(output(), 'E:Cannot open network namespace "nosuch": No such file or directory\n');
  assert.equal(sh.netns, undefined);
  assert.equal(sh.status, 255); // j-grammar: `ip netns exec nosuch true` → [exit 255]
});

test('the interactive prompt shows the entered namespace', async () => {
  const { api, sh } = shell({});
  api.spaces.set('ns1', { links: [], addrs: [], routes: [], neighs: [], netns: [] });
  assert.equal(sh.prompt('host1'), 'root@host1:~# ');
  await sh.runLine('ip netns exec ns1 sh');
  assert.equal(sh.prompt('host1'), '[ns1] root@host1:~# ');
  await sh.runLine('exit');
  assert.equal(sh.prompt('host1'), 'root@host1:~# ');
  assert.equal(sh.exited, false);
  await sh.runLine('exit 4');
  assert.equal(sh.exited, true);
  assert.equal(sh.status, 4);
});

test('sleep advances virtual time; bad intervals are refused as coreutils does', async () => {
  const { sh, sys, output } = shell();
  await sh.runScript('sleep 1.5\nsleep 2s 1m\nsleep x\n');
  assert.equal(sys.clock.time, 63_500_000_000);
  assert.equal(
    output(),
    "E:sleep: invalid time interval 'x'\nTry 'sleep --help' for more information.\n",
  );
});

test('set -x traces commands after expansion; redirections to /dev/null silence them', async () => {
  const { sh, output } = shell();
  await sh.runScript('A=1\nset -x\necho $A >/dev/null\nnosuch 2>/dev/null\necho b 2>&1\n');
  assert.equal(output(), 'E:+ echo 1\nE:+ nosuch\nE:+ echo b\nb\n');
});

test('set -e stops at the first failure', async () => {
  const { sh, output } = shell();
  assert.equal(await sh.runScript('set -e\necho a\nfalse\necho b\n'), 1);
  assert.equal(output(), 'a\n');
});

test('syntax errors are reported with the line, status 2', async () => {
  const { sh, output } = shell();
  await sh.runScript('echo "open\n&& echo x\n');
  assert.equal(
    output(),
    "E:t.sh: line 1: unexpected EOF while looking for matching `\"'\nE:t.sh: line 2: syntax error near unexpected token `&&'\n",
  );
  assert.equal(sh.status, 2);
});

test('a background tcpdump prints frames seen while later commands run, and stops at wait', async () => {
  const { sh, sys, output } = shell();
  sys.capture.frames.set('/eth0', []);
  await sh.runLine('tcpdump -n -t -i eth0 &');
  // An ARP request as the world would capture it during the next command.
  const arp = new Uint8Array([
    255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1,
    10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
  ]);
  sys.capture.frames.get('/eth0')?.push({ time: 0, bytes: arp, direction: 'out' });
  await sh.runLine('true');
  await sh.runLine('wait');
  assert.equal(
    output(),
    'E:tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n' +
      'E:listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n' +
      'ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n' +
      'E:1 packets captured\n1 packets received by filter\n0 packets dropped by kernel\n',
  );
});

test('bash -c runs a command line in the namespace of ip netns exec', async () => {
  const { api, sh } = shell();
  api.spaces.set('ns0', {
    links: [linkMsg({ ifindex: 1, ifname: 'lo' })],
    addrs: [],
    routes: [],
    neighs: [],
    netns: [],
  });
  await sh.runLine("ip netns exec ns0 bash -c 'ip link set dev lo up; exit 5'");
  assert.equal(sh.status, 5);
  assert.deepEqual(api.calls.at(-1)?.slice(0, 2), ['newLink', 'ns0']);
  assert.equal(sh.netns, undefined);
});
