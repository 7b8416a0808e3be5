// The demo `npm start` runs shows what the engine decided; these lines are its claims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demo } from '../../src/bin/demo.ts';

test('the demo shows bridge delivering, private refusing and vepa sending slave traffic to the wire', () => {
  const lines: string[] = [];
  demo((l) => lines.push(l));
  const text = lines.join('\n');
  const sections = text.split('ip link add link eth0 ipvlN type ipvlan mode ').slice(1);
  assert.equal(sections.length, 3);
  const [bridge, priv, vepa] = sections as [string, string, string];
  assert.match(bridge, /other slave\)\n.*\n\s+→ send succeeded; reached: ns1\/ipvl1\n/);
  assert.match(
    priv,
    /other slave\)\n.*\n\s+→ send failed \(ENOBUFS\); reached: nobody\n\s+dropped at ns0\/ipvl0: private port/,
  );
  assert.match(
    vepa,
    /other slave\)\n.*\n\s+→ send succeeded; reached: nobody\n\s+dropped at router\/eth0/,
  );
  for (const s of sections) {
    assert.match(s, /ARP request\n.*\n\s+→ send succeeded; reached: ns1\/ipvl1, router\/eth0\n/);
    assert.match(s, /router 192\.168\.50\.1\n.*\n\s+→ send succeeded; reached: router\/eth0\n/);
  }
  assert.match(priv, /counters: ipvl0 tx 2 \(dropped 1\), ipvl1 rx 1 \(multicast 1\)/);
});
