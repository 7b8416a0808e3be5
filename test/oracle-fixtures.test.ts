import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  findRecord,
  listOracleFixtures,
  loadOracleFixture,
  maskVariable,
  oracleRecords,
  parseOracleOutput,
  readOracleFixture,
} from './fixtures/oracle/index.ts';

// Shaped like the runner's console text: two scenarios, a section whose blank line must
// not leak into the previous output, a silent command, a command whose own output ends in
// a blank line, `[exit N]` after output and glued to an unterminated line, klog lines and
// a stray echo line.
const SAMPLE = [
  '===== ORACLE BEGIN one.sh =====',
  '$ ip link add dum0 type dummy',
  '',
  '### errors',
  '$ ip link add dum0 type dummy',
  'RTNETLINK answers: File exists',
  '[exit 2]',
  '[kernel] dummy: something',
  '$ ip netns identify',
  '',
  '$ cat /tmp/no-newline',
  'abc[exit 1]',
  '',
  '### tail',
  '--- an echo line',
  '$ true',
  '===== ORACLE END one.sh rc=0 =====',
  '===== ORACLE BEGIN two.sh =====',
  '$ ping -c 1 -W 1 10.0.0.9',
  'PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.',
  '',
  '--- 10.0.0.9 ping statistics ---',
  '1 packets transmitted, 0 received, 100% packet loss, time 0ms',
  '',
  '[exit 1]',
  '===== ORACLE END two.sh rc=3 =====',
  '===== ORACLE DONE rc=3 =====',
  '',
].join('\n');

test('parseOracleOutput splits scenarios, records, sections, exits and kernel lines', () => {
  const scenarios = parseOracleOutput(SAMPLE);
  assert.deepEqual(
    scenarios.map((s) => [s.name, s.rc, s.records.length]),
    [
      ['one.sh', 0, 5],
      ['two.sh', 3, 1],
    ],
  );
  const [one, two] = scenarios;
  assert.ok(one !== undefined && two !== undefined);
  assert.deepEqual(one.records[0], {
    command: 'ip link add dum0 type dummy',
    output: '',
    exit: 0,
    section: null,
    kernel: [],
    line: 2,
  });
  assert.deepEqual(one.records[1], {
    command: 'ip link add dum0 type dummy',
    output: 'RTNETLINK answers: File exists\n',
    exit: 2,
    section: 'errors',
    kernel: ['dummy: something'],
    line: 5,
  });
  // Its own blank line is output; the blank line of the following section heading is not.
  assert.equal(one.records[2]?.output, '\n');
  assert.equal(one.records[3]?.output, 'abc');
  assert.equal(one.records[3]?.exit, 1);
  assert.equal(one.records[4]?.section, 'tail');
  assert.deepEqual(one.stray, [{ line: 15, text: '--- an echo line', section: 'tail' }]);
  assert.equal(
    two.records[0]?.output,
    'PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.\n\n--- 10.0.0.9 ping statistics ---\n' +
      '1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n',
  );
  assert.equal(two.records[0]?.exit, 1);
});

test('parseOracleOutput reads record.sh output (no markers) as one unnamed scenario', () => {
  const scenarios = parseOracleOutput(
    '$ ip foo\nObject "foo" is unknown, try "ip help".\n[exit 1]\n',
  );
  assert.equal(scenarios.length, 1);
  assert.equal(scenarios[0]?.name, '');
  assert.equal(scenarios[0]?.rc, null);
  assert.deepEqual(
    scenarios[0]?.records.map((r) => [r.command, r.output, r.exit]),
    [['ip foo', 'Object "foo" is unknown, try "ip help".\n', 1]],
  );
});

test('records rebuild every recording byte for byte', () => {
  const names = listOracleFixtures();
  assert.ok(names.includes('j-grammar') && names.includes('k-display') && names.includes('l-ping'));
  for (const name of names) {
    const text = readOracleFixture(name);
    const scenarios = loadOracleFixture(name);
    assert.ok(scenarios.length >= 1, name);
    // Re-emit the x-helper format and compare with the scenario's body in the file.
    for (const s of scenarios) {
      assert.ok(s.records.length > 0, `${name}: ${s.name} has records`);
      for (const r of s.records) {
        assert.ok(!r.command.startsWith('$'), `${name}:${r.line}`);
        const at = text.split('\n')[r.line - 1];
        assert.equal(at, `$ ${r.command}`, `${name}:${r.line}`);
        const tail = r.exit === 0 ? '' : `[exit ${r.exit}]\n`;
        const body = `$ ${r.command}\n${r.output}${tail}`;
        assert.ok(text.includes(body), `${name}:${r.line} output not found verbatim`);
      }
    }
  }
});

test('the new recordings hold the facts the CLI golden tests rely on', () => {
  const grammar = oracleRecords('j-grammar');
  const foo = findRecord(grammar, 'ip foo');
  assert.deepEqual([foo.output, foo.exit], ['Object "foo" is unknown, try "ip help".\n', 1]);
  const l4 = findRecord(grammar, 'ip link add link dum0 name ipv0 type ipvlan mode l4');
  assert.deepEqual(
    [l4.output, l4.exit],
    ['Error: argument of "mode" must be either "l2", "l3" or "l3s"\n', 1],
  );
  const dup = findRecord(grammar, 'ip link add link dum0 name ipv0 type ipvlan mode l2', {
    occurrence: 1,
  });
  assert.deepEqual([dup.output, dup.exit], ['RTNETLINK answers: File exists\n', 2]);
  const help = findRecord(grammar, 'ip link add type ipvlan help');
  assert.equal(help.exit, 1);
  assert.match(help.output, /^Usage: \.\.\. ipvlan \[ mode MODE \] \[ FLAGS \]\n/);

  const display = oracleRecords('k-display');
  const br = findRecord(display, 'ip -br link show dev dum0');
  assert.equal(
    br.output,
    'dum0             UNKNOWN        02:00:00:00:00:01 <BROADCAST,NOARP,UP,LOWER_UP> \n',
  );
  assert.throws(() => findRecord(display, 'ip link nosuchcommand'), /no oracle record/);
});

test('maskVariable hides times and ids but nothing else', () => {
  const ping =
    '64 bytes from 192.168.1.2: icmp_seq=1 ttl=64 time=8.16 ms\n' +
    '2 packets transmitted, 2 received, 0% packet loss, time 205ms\n' +
    'rtt min/avg/max/mdev = 0.502/4.332/8.162/3.830 ms\n';
  assert.equal(
    maskVariable(ping),
    '64 bytes from 192.168.1.2: icmp_seq=1 ttl=64 time=<T> ms\n' +
      '2 packets transmitted, 2 received, 0% packet loss, time <T>ms\n' +
      'rtt min/avg/max/mdev = <T>/<T>/<T>/<T> ms\n',
  );
  assert.equal(
    maskVariable(
      '13:43:10.733480 IP 192.168.1.1 > 192.168.1.2: ICMP echo request, id 187, seq 1, length 64',
    ),
    '<TS> IP 192.168.1.1 > 192.168.1.2: ICMP echo request, id <ID>, seq 1, length 64',
  );
  assert.equal(
    maskVariable('hello_timer    0.00 tcn_timer    0.00 gc_timer  297.98 vlan_default_pvid 1'),
    'hello_timer <T> tcn_timer <T> gc_timer <T> vlan_default_pvid 1',
  );
  const ipLink = '4: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP';
  assert.equal(maskVariable(ipLink), ipLink);
});
