// Control-plane statements of spec section 2 and 6 checked on the emulated machine
// through the shell, with the driver's port state read back where the spec talks about it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './helpers.ts';
import { portOf } from '../../src/ipvlan/main.ts';

const BUSY = { output: 'Error: Address already assigned to an ipvlan device.\n', exit: 2 };

test('LC-6: a second slave joins the existing port; no busy check against its own rx handler', async () => {
  const lab = await Lab.create();
  await lab.ok(
    'ip link add eth0 type dummy',
    'ip link add link eth0 name ipva type ipvlan mode l2',
  );
  const port = portOf(lab.dev(null, 'eth0'));
  assert.ok(port !== undefined);
  await lab.ok('ip link add link eth0 name ipvb type ipvlan mode l2');
  assert.equal(portOf(lab.dev(null, 'eth0')), port);
  assert.deepEqual(
    port.slaves.map((s) => s.dev.name),
    ['ipva', 'ipvb'],
  );
});

test('MODE-7: mode and flag changes leave address lists and the table alone', async () => {
  const lab = await Lab.create();
  await lab.ok(
    'ip link add eth0 type dummy',
    'ip link set eth0 up',
    'ip link add link eth0 name ipva type ipvlan mode l2',
    'ip link add link eth0 name ipvb type ipvlan mode l2',
    'ip addr add 10.0.0.1/24 dev ipva',
    'ip link set ipva up',
  );
  const port = portOf(lab.dev(null, 'eth0'))!;
  const before = [...port.table.keys()];
  for (const args of ['mode l3 private', 'mode l3s vepa', 'mode l2']) {
    await lab.ok(`ip link set ipvb type ipvlan ${args}`);
    assert.deepEqual([...port.table.keys()], before, args);
    assert.deepEqual(await lab.sh('ip addr add 10.0.0.1/24 dev ipvb'), BUSY);
  }
});

test('OUT-5: the master shows nothing ipvlan-specific', async () => {
  const lab = await Lab.create();
  await lab.ok('ip link add eth0 type dummy');
  const before = await lab.sh('ip -d link show eth0');
  await lab.ok('ip link add link eth0 name ipva type ipvlan mode l2 private');
  const after = await lab.sh('ip -d link show eth0');
  assert.equal(after.output, before.output);
  assert.doesNotMatch(after.output, /ipvlan|master ipva/);
});
