// `npm start` (`ipvlan demo`): the seed example run on the emulated world as a terminal
// shows it, between two pictures drawn from rtnetlink. These checks pin what the demo
// claims: the starting cabling, every command echoed after the right prompt, the ping
// outputs, the slaves in the final picture and the summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demo } from '../../src/bin/demo.ts';

async function run(script?: string): Promise<{ text: string; status: number }> {
  const lines: string[] = [];
  const status = await demo((l) => lines.push(l), script);
  return { text: lines.join('\n'), status };
}

test('the demo draws the starting world, runs seed.sh with prompts, and draws the result', async () => {
  const { text, status } = await run();
  assert.equal(status, 0);
  const [before, rest] = text.split('examples/seed.sh, line by line:') as [string, string];
  const [script, after] = rest.split('The world the script built:') as [string, string];
  assert.equal(
    before.slice(before.indexOf('  host1')),
    [
      '  host1',
      '  ├─ lo          127.0.0.1/8',
      '  └─ eth0        52:54:00:12:34:56  192.168.50.2/24',
      '     ║  wire lan (a plain cable)',
      '  router',
      '  ├─ lo          127.0.0.1/8',
      '  └─ eth0        52:54:00:ab:cd:ef  192.168.50.1/24',
      '',
      '',
    ].join('\n'),
  );
  // Commands after the prompt of the namespace they run in; comments as written.
  assert.match(script, /^# \(a\) Create two network namespaces - ns0, ns1$/m);
  assert.match(script, /^root@host1:~# ip link add link eth0 ipvl0 type ipvlan mode l2$/m);
  assert.match(
    script,
    /^root@host1:~# ip netns exec ns0 bash\n\[ns0\] root@host1:~# ip link set dev ipvl0 up$/m,
  );
  assert.match(script, /^\[ns1\] root@host1:~# exit\n/m);
  assert.match(
    script,
    /^root@host1:~# ip netns exec ns0 ping -c 3 -i 0\.2 -W 2 192\.168\.50\.11\nPING 192\.168\.50\.11 \(192\.168\.50\.11\) 56\(84\) bytes of data\.\n64 bytes from 192\.168\.50\.11: icmp_seq=1 ttl=64 time=/m,
  );
  assert.match(
    after,
    /  └─ eth0        52:54:00:12:34:56  192\.168\.50\.2\/24\n     ├─ ns0\/ipvl0   ipvlan l2 bridge  UP  192\.168\.50\.10\/24\n     └─ ns1\/ipvl1   ipvlan l2 bridge  UP  192\.168\.50\.11\/24\n/,
  );
  assert.match(
    after,
    /Pings:\n  ns0    -> 192\.168\.50\.11   3\/3 replies  ok\n  ns1    -> 192\.168\.50\.10   3\/3 replies  ok\n  ns0    -> 192\.168\.50\.1    2\/2 replies  ok\n  ns1    -> 192\.168\.50\.1    2\/2 replies  ok\n/,
  );
});

test('the summary reports what the pings got, not what the script hoped for', async () => {
  const { text, status } = await run(
    [
      'ip netns add ns0',
      'ip link add link eth0 ipvl0 type ipvlan mode l2 private',
      'ip link set dev ipvl0 netns ns0',
      'ip netns exec ns0 ping -c 2 -i 0.2 -W 1 192.168.50.1',
    ].join('\n'),
  );
  // ipvl0 is still down: the ping has no route and fails at connect.
  assert.equal(status, 2);
  assert.match(
    text,
    /root@host1:~# ip netns exec ns0 ping -c 2 -i 0\.2 -W 1 192\.168\.50\.1\nping: connect: Network is unreachable/,
  );
  assert.match(text, /     └─ ns0\/ipvl0   ipvlan l2 private  DOWN\n/);
  assert.doesNotMatch(text, /replies/);
});
