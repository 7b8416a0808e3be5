// The daemon hears of a slave's addresses and up state from rtnetlink events (the I/O
// worker watches the sockets, EPOLLONESHOT, and wakes the main thread), not from its
// periodic round: with that round set to ten minutes, slaves configured after the
// daemon started reach each other within seconds, which only the events can explain.
// (Whether the very first packet after `ip link set up` makes it depends on whether
// the daemon's wake-up beats the ping's start: usually, not always, so the test
// allows a retry; docs/linux-dataplane.md has the measurement.)
// Root only; traffic stays inside the namespaces this file creates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemonTopology } from './daemon-helpers.ts';
import type { DaemonProc, DaemonTopology } from './daemon-helpers.ts';
import { linuxTestsAvailable } from './netns.ts';
import type { Sandbox } from './netns.ts';

const skip = !linuxTestsAvailable();

describe('ipvlan daemon, rtnetlink events (root, real namespaces)', { skip }, () => {
  let t: DaemonTopology<never> | undefined;
  let box: Sandbox;
  let d: DaemonProc;
  let master: string;

  before(async () => {
    t = await startDaemonTopology({ env: { IPVLAN_WATCH_MS: String(10 * 60_000) } });
    ({ box, d, master } = t);
  });

  after(() => t?.stop());

  /** Up to `tries` single pings of 1 s each; true at the first reply. */
  function reaches(ns: string, dst: string, tries = 5): boolean {
    for (let i = 0; i < tries; i++)
      if (box.exec(ns, ['ping', '-c', '1', '-W', '1', dst]).status === 0) return true;
    return false;
  }

  for (const mode of ['l2', 'l3'] as const)
    test(`${mode}: addresses and up state reach the engine by event, not by the periodic round`, () => {
      const net = mode === 'l2' ? 48 : 49;
      const ns = [box.addNetns(`${mode}a`), box.addNetns(`${mode}b`)];
      const names = [box.ifName(`${mode}a`), box.ifName(`${mode}b`)];
      const addrs = [`10.231.${net}.10`, `10.231.${net}.11`];
      for (let i = 0; i < 2; i++)
        d.linkOk(
          'add',
          'link',
          master,
          'name',
          names[i]!,
          'type',
          'ipvlan',
          'mode',
          mode,
          'netns',
          ns[i]!,
        );
      for (let i = 0; i < 2; i++) {
        box.ip(ns[i]!, 'addr', 'add', `${addrs[i]}/24`, 'dev', names[i]!);
        box.ip(ns[i]!, 'link', 'set', names[i]!, 'up');
      }
      assert.ok(reaches(ns[0]!, addrs[1]!), `${addrs[1]} unreachable: ${d.log}`);
      // A later address, on a slave that is up already.
      const later = `10.231.${net}.21`;
      box.ip(ns[1]!, 'addr', 'add', `${later}/24`, 'dev', names[1]!);
      assert.ok(reaches(ns[0]!, later), `${later} unreachable: ${d.log}`);
    });
});
