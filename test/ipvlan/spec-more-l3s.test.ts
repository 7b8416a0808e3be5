// Section 5 (L3S) statements on the emulated machine: which namespaces' netfilter hooks
// see slave traffic in every mode (L3S-3, the ext<->slave rows recorded in the i1
// section of i-followup.out), what entering and leaving L3S registers (L3S-1), and the
// registration following a master into another namespace or going with it (L3S-6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, SHARED_MAC } from './helpers.ts';
import { nfHooksAt } from '../../src/stack/netfilter/hooks.ts';
import { L3MDEV_RCV } from '../../src/stack/ipv4.ts';
import type { NetNamespace } from '../../src/stack/netns.ts';

type Counts = Record<string, [number, number]>;
const HOOKS = ['pre', 'in', 'fw', 'out', 'post'] as const;

function delta(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const h of HOOKS) {
    const a = after[h] ?? [0, 0];
    const b = before[h] ?? [0, 0];
    out[h] = [a[0] - b[0], a[1] - b[1]];
  }
  return out;
}

/** Expected `nftc` deltas: `sent` packets from the address at OUTPUT/POSTROUTING, `got` to it at PREROUTING/INPUT. */
function seen(sent: number, got: number): Counts {
  return { pre: [0, got], in: [0, got], fw: [0, 0], out: [sent, 0], post: [sent, 0] };
}
/** The same from the point of view of the far end (the address is the peer). */
function seenByPeer(sent: number, got: number): Counts {
  return { pre: [got, 0], in: [got, 0], fw: [0, 0], out: [0, sent], post: [0, sent] };
}
const NONE = seen(0, 0);

for (const mode of ['l2', 'l3', 'l3s'] as const) {
  test(`L3S-3 L3S-7: netfilter hooks traversed per namespace in ${mode} (ext->slave, slave->ext, slave<->slave; master FORWARD never)`, async () => {
    const lab = await Lab.create();
    await lab.topo(2, `mode ${mode}`);
    await lab.ok(
      'ip -n ns0 route add default dev ipvl0',
      `ip -n ext neigh replace 10.0.0.1 lladdr ${SHARED_MAC} dev veth1`,
    );
    for (const ns of [null, 'ns0', 'ns1']) lab.nftc(ns, '10.0.0.1');
    const snap = (): Counts[] => [lab.nftCounts(null), lab.nftCounts('ns0'), lab.nftCounts('ns1')];
    const run = async (line: string): Promise<Counts[]> => {
      const before = snap();
      const r = await lab.sh(line);
      assert.equal(r.exit, 0, `${line}: ${r.output}`);
      assert.match(r.output, /2 packets transmitted, 2 received/);
      return snap().map((c, i) => delta(c, before[i] as Counts));
    };
    // ext -> slave: 2 requests in, 2 replies out (i1 recording for l3 and l3s).
    const [rootIn, ns0In, ns1In] = await run('ip netns exec ext ping -c 2 -i 0.3 -W 1 10.0.0.1');
    // slave -> ext: 2 requests out, 2 replies in.
    const [rootOut, ns0Out, ns1Out] = await run(
      'ip netns exec ns0 ping -c 2 -i 0.3 -W 1 10.0.0.100',
    );
    const l3s = mode === 'l3s';
    const l2 = mode === 'l2';
    // Master namespace: l3s ingress crosses PREROUTING and INPUT, l3 and l3s egress
    // OUTPUT and POSTROUTING (routed there, TX-L3-4), l2 nothing at all.
    const master = l2 ? NONE : l3s ? seen(2, 2) : seen(2, 0);
    assert.deepEqual(rootIn, master, 'master ns, ext->slave');
    assert.deepEqual(rootOut, master, 'master ns, slave->ext');
    // Slave namespace: always OUTPUT/POSTROUTING; PREROUTING/INPUT except l3s ingress.
    const slave = l3s ? seen(2, 0) : seen(2, 2);
    assert.deepEqual(ns0In, slave, 'slave ns, ext->slave');
    assert.deepEqual(ns0Out, slave, 'slave ns, slave->ext');
    assert.deepEqual(ns1In, NONE, 'other slave ns, ext->slave');
    assert.deepEqual(ns1Out, NONE, 'other slave ns, slave->ext');
    // slave <-> slave: sender OUTPUT/POSTROUTING, receiver PREROUTING/INPUT, in every
    // mode; the master namespace sees nothing.
    const [rootSS, ns0SS, ns1SS] = await run('ip netns exec ns0 ping -c 2 -i 0.3 -W 1 10.0.0.2');
    assert.deepEqual(rootSS, NONE, 'master ns, slave<->slave');
    assert.deepEqual(ns0SS, seen(2, 2), 'sender ns, slave<->slave');
    assert.deepEqual(ns1SS, seenByPeer(2, 2), 'receiver ns, slave<->slave');
  });
}

/** Owners of the IPv4 and IPv6 LOCAL_IN hooks of `ns`, in the order they run. */
function inputHooks(ns: NetNamespace): string[][] {
  return (['ipv4', 'ipv6'] as const).map((pf) => nfHooksAt(ns, pf, 'input').map((o) => o.owner));
}

test('L3S-1: entering l3s registers LOCAL_IN hooks (last, shared per namespace) and the l3mdev handler; leaving or destroying the port undoes them', async () => {
  const lab = await Lab.create();
  await lab.topo(1, 'mode l3');
  await lab.ok(`ip -n ext neigh replace 10.0.0.1 lladdr ${SHARED_MAC} dev veth1`);
  lab.nftc(null, '10.0.0.1');
  const init = lab.net(null);
  const veth0 = lab.dev(null, 'veth0');
  // The counting table's input chain (priority 0) is the only LOCAL_IN hook in l3.
  assert.deepEqual(inputHooks(init), [['nft inet c c_in'], ['nft inet c c_in']]);
  assert.equal(veth0.proto.has(L3MDEV_RCV), false);
  const hostInput = async (): Promise<number> => {
    const before = lab.nftCounts(null)['in']?.[1] ?? 0;
    const r = await lab.sh('ip netns exec ext ping -c 1 -W 1 10.0.0.1');
    assert.equal(r.exit, 0, r.output);
    return (lab.nftCounts(null)['in']?.[1] ?? 0) - before;
  };
  assert.equal(await hostInput(), 0);

  await lab.ok('ip -n ns0 link set ipvl0 type ipvlan mode l3s');
  assert.deepEqual(inputHooks(init), [
    ['nft inet c c_in', 'ipvlan l3s'],
    ['nft inet c c_in', 'ipvlan l3s'],
  ]);
  assert.equal(veth0.proto.has(L3MDEV_RCV), true);
  assert.equal(await hostInput(), 1);

  // A second l3s port in the same namespace shares the registration (reference count).
  await lab.ok(
    'ip link add veth2 type veth peer name veth3',
    'ip link add link veth2 ipvl2 type ipvlan mode l3s',
  );
  assert.deepEqual(inputHooks(init)[0], ['nft inet c c_in', 'ipvlan l3s']);
  // The first leaves l3s: its handler goes, the hooks stay for the second.
  await lab.ok('ip -n ns0 link set ipvl0 type ipvlan mode l3');
  assert.equal(veth0.proto.has(L3MDEV_RCV), false);
  assert.equal(lab.dev(null, 'veth2').proto.has(L3MDEV_RCV), true);
  assert.deepEqual(inputHooks(init)[1], ['nft inet c c_in', 'ipvlan l3s']);
  assert.equal(await hostInput(), 0);
  // Destroying the last l3s port (its only slave goes) unregisters them.
  await lab.ok('ip link del ipvl2');
  assert.equal(lab.dev(null, 'veth2').proto.has(L3MDEV_RCV), false);
  assert.deepEqual(inputHooks(init), [['nft inet c c_in'], ['nft inet c c_in']]);
});

test('L3S-6 NS-2: an l3s master moved to another namespace takes the hook registration along; deleting that namespace removes it', async () => {
  const lab = await Lab.create();
  await lab.topo(1, 'mode l3s');
  await lab.ok(`ip -n ext neigh replace 10.0.0.1 lladdr ${SHARED_MAC} dev veth1`);
  const init = lab.net(null);
  assert.deepEqual(inputHooks(init), [['ipvlan l3s'], ['ipvlan l3s']]);
  await lab.ok(
    'ip netns add hostb',
    'ip link set veth0 netns hostb',
    'ip -n hostb addr add 10.0.0.254/24 dev veth0',
    'ip -n hostb link set veth0 up',
  );
  const hostb = lab.net('hostb');
  assert.deepEqual(inputHooks(init), [[], []]);
  assert.deepEqual(inputHooks(hostb), [['ipvlan l3s'], ['ipvlan l3s']]);
  // Ingress to the slave now crosses hostb's INPUT (and never init's).
  lab.nftc('hostb', '10.0.0.1');
  lab.nftc(null, '10.0.0.1');
  const r = await lab.sh('ip netns exec ext ping -c 2 -i 0.3 -W 1 10.0.0.1');
  assert.equal(r.exit, 0, r.output);
  assert.deepEqual(lab.nftCounts('hostb')['in'], [0, 2]);
  assert.deepEqual(lab.nftCounts(null)['in'], [0, 0]);
  assert.equal(lab.stats('ns0', 'ipvl0').rxPackets, 2);
  // Deleting hostb destroys the veth master, the port and its slave: nothing is left
  // registered in the dead namespace (nor in init).
  await lab.ok('ip netns del hostb');
  assert.equal(lab.net('ns0').getByName('ipvl0'), undefined);
  assert.deepEqual(
    inputHooks(hostb).map((l) => l.filter((o) => o === 'ipvlan l3s')),
    [[], []],
  );
  assert.equal(hostb.proto.has('ipvlan.l3s'), false);
  assert.deepEqual(inputHooks(init), [['nft inet c c_in'], ['nft inet c c_in']]);
});
