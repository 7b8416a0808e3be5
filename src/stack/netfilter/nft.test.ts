import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nftCommand, nftRun } from './api.ts';
import { conntrackOf } from './conntrack.ts';
import { nfHook, nfHooksAt } from './hooks.ts';
import { formatPriority } from './nft-syntax.ts';
import { echo4, skbOf, testHost, traverse, udp4 } from './test-packets.ts';

// The counting table of /work/shared/oracle/scenarios/i-followup.sh (`nftc NS 10.0.0.1`).
const NFTC = `table inet c {
  chain c_pre {
    type filter hook prerouting priority -300; policy accept;
    ip saddr 10.0.0.1 counter
    ip daddr 10.0.0.1 counter
  }
  chain c_in {
    type filter hook input priority 0; policy accept;
    ip saddr 10.0.0.1 counter
    ip daddr 10.0.0.1 counter
    ip daddr 10.0.0.1 ct state established counter
  }
  chain c_fw {
    type filter hook forward priority 0; policy accept;
    ip saddr 10.0.0.1 counter
    ip daddr 10.0.0.1 counter
  }
  chain c_out {
    type filter hook output priority 0; policy accept;
    ip saddr 10.0.0.1 counter
    ip daddr 10.0.0.1 counter
  }
  chain c_post {
    type filter hook postrouting priority 0; policy accept;
    ip saddr 10.0.0.1 counter
    ip daddr 10.0.0.1 counter
  }
}
`;

// The recording's nftshow: keep chain and counter lines, strip indentation and ' {'.
function nftshow(listing: string): string {
  return listing
    .split('\n')
    .filter((l) => /chain|counter/.test(l))
    .map((l) => l.replace(/^\s*/, '').replace(/ \{$/, ''))
    .join('\n');
}

function load(): ReturnType<typeof testHost> {
  const h = testHost();
  const r = nftCommand(h.ns, ['-f', '-'], (p) => (p === '-' ? NFTC : null));
  assert.deepEqual(r, { stdout: '', stderr: '', status: 0 });
  return h;
}

test('nft -f of the i-followup counting table lists as nftables 1.0.6 prints it', () => {
  const h = load();
  const r = nftCommand(h.ns, ['list', 'table', 'inet', 'c']);
  assert.equal(r.status, 0);
  assert.equal(
    r.stdout,
    'table inet c {\n' +
      '\tchain c_pre {\n' +
      '\t\ttype filter hook prerouting priority raw; policy accept;\n' +
      '\t\tip saddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t\tip daddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t}\n\n' +
      '\tchain c_in {\n' +
      '\t\ttype filter hook input priority filter; policy accept;\n' +
      '\t\tip saddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t\tip daddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t\tip daddr 10.0.0.1 ct state established counter packets 0 bytes 0\n' +
      '\t}\n\n' +
      '\tchain c_fw {\n' +
      '\t\ttype filter hook forward priority filter; policy accept;\n' +
      '\t\tip saddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t\tip daddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t}\n\n' +
      '\tchain c_out {\n' +
      '\t\ttype filter hook output priority filter; policy accept;\n' +
      '\t\tip saddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t\tip daddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t}\n\n' +
      '\tchain c_post {\n' +
      '\t\ttype filter hook postrouting priority filter; policy accept;\n' +
      '\t\tip saddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t\tip daddr 10.0.0.1 counter packets 0 bytes 0\n' +
      '\t}\n' +
      '}\n',
  );
});

test('counters after two pings into a namespace match the i-followup l3 slave recording', () => {
  const h = load();
  // ext pings 10.0.0.1 twice: each request crosses prerouting+input, each reply output+postrouting.
  for (const seq of [1, 2]) {
    const req = skbOf(echo4('10.0.0.100', '10.0.0.1', 'echoRequest', 161, seq), h.eth0);
    assert.equal(traverse(h.ns, 'ipv4', 'in', req, h.eth0, null), 'accept');
    const rep = skbOf(echo4('10.0.0.1', '10.0.0.100', 'echoReply', 161, seq), h.eth0);
    assert.equal(traverse(h.ns, 'ipv4', 'out', rep, null, h.eth0), 'accept');
  }
  const shown = nftshow(nftCommand(h.ns, ['list', 'table', 'inet', 'c']).stdout);
  // Verbatim from results/i-followup.out, "-- slave ns after ext->slave" (mode l3).
  assert.equal(
    shown,
    `chain c_pre
ip saddr 10.0.0.1 counter packets 0 bytes 0
ip daddr 10.0.0.1 counter packets 2 bytes 168
chain c_in
ip saddr 10.0.0.1 counter packets 0 bytes 0
ip daddr 10.0.0.1 counter packets 2 bytes 168
ip daddr 10.0.0.1 ct state established counter packets 1 bytes 84
chain c_fw
ip saddr 10.0.0.1 counter packets 0 bytes 0
ip daddr 10.0.0.1 counter packets 0 bytes 0
chain c_out
ip saddr 10.0.0.1 counter packets 2 bytes 168
ip daddr 10.0.0.1 counter packets 0 bytes 0
chain c_post
ip saddr 10.0.0.1 counter packets 2 bytes 168
ip daddr 10.0.0.1 counter packets 0 bytes 0`,
  );
  // `ct state` in a rule takes a conntrack user, so the flow is in the table.
  assert.equal(conntrackOf(h.ns).entries().length, 1);
  // `reset counters` touches named counters only: rule counters keep their values.
  assert.equal(nftCommand(h.ns, ['reset', 'counters', 'table', 'inet', 'c']).status, 0);
  assert.match(nftCommand(h.ns, ['list', 'ruleset']).stdout, /counter packets 2 bytes 168/);
});

test('an input drop rule blocks matching packets and counts them; policy drop blocks the rest', () => {
  const h = testHost();
  for (const argv of [
    'add table inet t',
    'add chain inet t c { type filter hook input priority 0; policy accept; }',
    'add rule inet t c ip daddr 10.0.0.2 counter drop',
  ])
    assert.equal(nftCommand(h.ns, argv.split(' ')).status, 0, argv);
  const hit = skbOf(echo4('10.0.0.9', '10.0.0.2', 'echoRequest', 1), h.eth0);
  assert.equal(traverse(h.ns, 'ipv4', 'in', hit, h.eth0, null), 'drop');
  const miss = skbOf(echo4('10.0.0.9', '10.0.0.3', 'echoRequest', 1), h.eth0);
  assert.equal(traverse(h.ns, 'ipv4', 'in', miss, h.eth0, null), 'accept');
  assert.match(
    nftCommand(h.ns, ['list', 'ruleset']).stdout,
    /\t\tip daddr 10\.0\.0\.2 counter packets 1 bytes 84 drop\n/,
  );
  nftRun(
    h.ns,
    'flush ruleset; add table ip f; add chain ip f in { type filter hook input priority filter; policy drop; }; add rule ip f in udp dport 53 accept',
  );
  assert.equal(
    traverse(
      h.ns,
      'ipv4',
      'in',
      skbOf(udp4('10.0.0.9', '10.0.0.2', 999, 53), h.eth0),
      h.eth0,
      null,
    ),
    'accept',
  );
  assert.equal(
    traverse(
      h.ns,
      'ipv4',
      'in',
      skbOf(udp4('10.0.0.9', '10.0.0.2', 999, 54), h.eth0),
      h.eth0,
      null,
    ),
    'drop',
  );
  // An ip table does not see IPv6.
  assert.equal(nfHooksAt(h.ns, 'ipv6', 'input').length, 0);
});

test('matches: prefixes, negation, interfaces, protocols, ports, ICMP types, ct state sets', () => {
  const h = testHost();
  const r = nftRun(
    h.ns,
    `table ip m {
      chain c {
        type filter hook prerouting priority 0; policy accept;
        ip saddr 10.0.0.0/8 ip daddr != 10.9.9.9 iifname "eth0" meta l4proto icmp icmp type echo-request counter
        iif "eth1" counter
        ip protocol udp udp sport 1000-2000 counter
        ct state new,established,related counter
      }
    }`,
  );
  assert.equal(r.status, 0, r.stderr);
  traverse(
    h.ns,
    'ipv4',
    'in',
    skbOf(echo4('10.1.2.3', '10.0.0.1', 'echoRequest', 1), h.eth0),
    h.eth0,
    null,
  );
  traverse(
    h.ns,
    'ipv4',
    'in',
    skbOf(echo4('10.1.2.3', '10.9.9.9', 'echoRequest', 1), h.eth0),
    h.eth0,
    null,
  );
  traverse(
    h.ns,
    'ipv4',
    'in',
    skbOf(echo4('10.1.2.3', '10.0.0.1', 'echoReply', 1), h.eth0),
    h.eth0,
    null,
  );
  traverse(h.ns, 'ipv4', 'in', skbOf(udp4('10.1.2.3', '10.0.0.1', 1500, 7), h.eth1), h.eth1, null);
  traverse(h.ns, 'ipv4', 'in', skbOf(udp4('10.1.2.3', '10.0.0.1', 2500, 7), h.eth1), h.eth1, null);
  assert.equal(
    nftCommand(h.ns, ['list', 'chain', 'ip', 'm', 'c']).stdout,
    'table ip m {\n\tchain c {\n\t\ttype filter hook prerouting priority filter; policy accept;\n' +
      '\t\tip saddr 10.0.0.0/8 ip daddr != 10.9.9.9 iifname "eth0" meta l4proto icmp icmp type echo-request counter packets 1 bytes 84\n' +
      '\t\tiif "eth1" counter packets 2 bytes 64\n' +
      '\t\tip protocol udp udp sport 1000-2000 counter packets 1 bytes 32\n' +
      // Four new flows (the unsolicited echo reply is invalid): 84 + 84 + 32 + 32 bytes.
      '\t\tct state established,related,new counter packets 4 bytes 232\n' +
      '\t}\n}\n',
  );
});

test('priorities print by name within ±10 of a standard one, where the hook allows it', () => {
  assert.equal(formatPriority(-300, 'prerouting'), 'raw');
  assert.equal(formatPriority(-295, 'output'), 'raw + 5');
  assert.equal(formatPriority(-100, 'prerouting'), 'dstnat');
  assert.equal(formatPriority(-100, 'input'), '-100');
  assert.equal(formatPriority(100, 'postrouting'), 'srcnat');
  assert.equal(formatPriority(110, 'input'), 'srcnat + 10');
  assert.equal(formatPriority(-10, 'forward'), 'filter - 10');
  assert.equal(formatPriority(200, 'forward'), '200');
});

test('nft error messages: missing table/chain with hints, kernel refusals, syntax errors', () => {
  const h = testHost();
  assert.deepEqual(
    nftCommand(h.ns, 'add rule inet t c ip daddr 10.0.0.2 counter drop'.split(' ')),
    {
      stdout: '',
      stderr:
        'Error: No such file or directory\nadd rule inet t c ip daddr 10.0.0.2 counter drop\n              ^\n',
      status: 1,
    },
  );
  nftRun(
    h.ns,
    'add table inet filter; add chain inet filter input { type filter hook input priority 0; }',
  );
  assert.equal(
    nftCommand(h.ns, 'add rule inet filtr input drop'.split(' ')).stderr,
    'Error: No such file or directory; did you mean table ‘filter’ in family inet?\nadd rule inet filtr input drop\n              ^^^^^\n',
  );
  assert.equal(
    nftCommand(h.ns, 'add rule ip filter input drop'.split(' ')).stderr,
    'Error: No such file or directory; did you mean table ‘filter’ in family inet?\nadd rule ip filter input drop\n            ^^^^^^\n',
  );
  assert.equal(
    nftCommand(h.ns, 'add rule inet filter inpt drop'.split(' ')).stderr,
    'Error: No such file or directory; did you mean chain ‘input’ in table inet ‘filter’?\nadd rule inet filter inpt drop\n                     ^^^^\n',
  );
  assert.equal(
    nftCommand(h.ns, 'add rule inet filter input masquerade'.split(' ')).stderr,
    'Error: Could not process rule: Operation not supported\nadd rule inet filter input masquerade\n                           ^^^^^^^^^^\n',
  );
  nftRun(h.ns, 'add rule inet filter input counter');
  assert.equal(
    nftCommand(h.ns, 'delete chain inet filter input'.split(' ')).stderr,
    'Error: Could not process rule: Device or resource busy\ndelete chain inet filter input\n                         ^^^^^\n',
  );
  assert.equal(
    nftCommand(h.ns, 'create table inet filter'.split(' ')).stderr,
    'Error: Could not process rule: File exists\ncreate table inet filter\n                  ^^^^^^\n',
  );
  assert.equal(
    nftCommand(h.ns, 'delete table ip nope'.split(' ')).stderr,
    'Error: Could not process rule: No such file or directory\ndelete table ip nope\n                ^^^^\n',
  );
  const syntax = nftCommand(h.ns, 'add rule inet filter input ip frob 1'.split(' '));
  assert.equal(syntax.status, 1);
  assert.match(syntax.stderr, /^Error: syntax error, unexpected string/);
  // A file error carries NAME:LINE:FIRST-LAST.
  const file = nftCommand(
    h.ns,
    ['-f', 'r.nft'],
    () => 'table inet x {\n  chain y {\n    bogus\n  }\n}\n',
  );
  assert.equal(file.stderr.split('\n')[0], 'r.nft:3:5-9: Error: syntax error, unexpected string');
  assert.equal(file.stderr.split('\n')[2], '    ^^^^^');
});

test('a failing batch leaves nothing behind (all or nothing)', () => {
  const h = testHost();
  const r = nftRun(
    h.ns,
    'add table ip a\nadd chain ip a c { type filter hook input priority 0; }\nadd rule ip a nope drop\n',
  );
  assert.equal(r.status, 1);
  assert.equal(nftCommand(h.ns, ['list', 'ruleset']).stdout, '');
  assert.equal(nfHooksAt(h.ns, 'ipv4', 'input').length, 0);
});

test('handles (-a), delete rule by handle, flush and delete table unregister hooks', () => {
  const h = testHost();
  nftRun(
    h.ns,
    'add table ip t; add chain ip t c { type filter hook output priority 0; policy accept; }; add rule ip t c counter; add rule ip t c ct state invalid drop',
  );
  assert.equal(
    nftCommand(h.ns, ['-a', 'list', 'ruleset']).stdout,
    'table ip t { # handle 1\n\tchain c { # handle 1\n\t\ttype filter hook output priority filter; policy accept;\n' +
      '\t\tcounter packets 0 bytes 0 # handle 2\n\t\tct state invalid drop # handle 3\n\t}\n}\n',
  );
  assert.equal(nfHooksAt(h.ns, 'ipv4', 'output').length, 2, 'chain and conntrack');
  assert.equal(nftCommand(h.ns, 'delete rule ip t c handle 3'.split(' ')).status, 0);
  assert.equal(nfHooksAt(h.ns, 'ipv4', 'output').length, 1, 'conntrack user released');
  assert.equal(nftCommand(h.ns, 'delete table ip t'.split(' ')).status, 0);
  assert.equal(nfHooksAt(h.ns, 'ipv4', 'output').length, 0);
  const skb = skbOf(echo4('10.0.0.1', '10.0.0.2', 'echoRequest', 1), h.eth0);
  assert.equal(nfHook(h.ns, 'ipv4', 'output', skb, null, h.eth0), 'accept');
});
