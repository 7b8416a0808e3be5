// A slave moved into a namespace that has no name under /var/run/netns, only a process
// in it (`ip link set ipvl0 netns PID`, how container runtimes hand over interfaces):
// the daemon finds the TAP there through /proc/PID/ns/net, follows its addresses, and
// deletes the slave when the namespace ends with its last process. Root only; the
// namespace is `unshare -n sleep`, started and killed (by pid) here.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { addSlave, pingCount, startDaemonTopology, waitFor } from './daemon-helpers.ts';
import type { DaemonTopology } from './daemon-helpers.ts';
import { linuxTestsAvailable } from './netns.ts';

const haveUnshare =
  spawnSync('sh', ['-c', 'command -v unshare && command -v nsenter']).status === 0;
const skip = !linuxTestsAvailable() || !haveUnshare;

const S0 = '10.231.53.10';
const C = '10.231.53.20';

describe('ipvlan daemon, a slave in an unnamed (process) namespace (root)', { skip }, () => {
  let t: DaemonTopology<'n0'>;
  let holder: ChildProcess | undefined;
  let s0: string;
  let sc: string;

  /** Runs a command inside the holder's namespace. */
  const inHolder = (...argv: string[]) =>
    spawnSync('nsenter', ['-t', String(holder?.pid), '-n', ...argv], {
      encoding: 'utf8',
      timeout: 20_000,
    });

  before(async () => {
    t = await startDaemonTopology({ slaveNamespaces: ['n0'] });
    holder = spawn('unshare', ['-n', 'sleep', '120'], { stdio: 'ignore' });
    // The new namespace exists once sleep runs in it (its ns differs from ours).
    const ours = spawnSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).stdout;
    assert.ok(
      await waitFor(() => {
        const r = spawnSync('readlink', [`/proc/${holder?.pid}/ns/net`], { encoding: 'utf8' });
        return r.status === 0 && r.stdout !== ours && r.stdout !== '';
      }),
    );
    s0 = t.box.ifName('s0');
    sc = t.box.ifName('sc');
    addSlave(t, s0, t.ns.n0, { cidr: `${S0}/24` });
    // Created in the daemon's namespace, then handed to the process by pid.
    addSlave(t, sc, null);
    t.box.ip(t.home, 'link', 'set', 'dev', sc, 'netns', String(holder.pid));
    for (const argv of [
      ['ip', 'addr', 'add', `${C}/24`, 'dev', sc],
      ['ip', 'link', 'set', sc, 'up'],
    ]) {
      const r = inHolder(...argv);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  after(async () => {
    if (holder?.exitCode === null) holder.kill('SIGKILL');
    await t?.stop();
  });

  test('its addresses are followed there: traffic both ways', async () => {
    assert.ok(
      await waitFor(() => pingCount(t.box, t.ns.n0, C, 1, 2) >= 1, 8000),
      `n0 → process namespace: ${t.d.log}`,
    );
    const r = inHolder('ping', '-c', '2', '-i', '0.2', '-W', '2', S0);
    assert.match(r.stdout, /2 received/, r.stdout + r.stderr);
    // Well past the second after which a TAP found nowhere deletes its slave.
    await new Promise((res) => setTimeout(res, 1500));
    assert.match(t.d.linkOk('show'), new RegExp(`: ${sc}@`));
  });

  test('the namespace ends with its process: the TAP goes, and so does the slave', async () => {
    const exited = new Promise((res) => holder?.once('exit', res));
    holder?.kill('SIGKILL');
    await exited;
    assert.ok(await waitFor(() => !t.d.linkOk('show').includes(`: ${sc}@`), 8000), t.d.log);
    assert.match(t.d.linkOk('show'), new RegExp(`: ${s0}@`));
  });
});
