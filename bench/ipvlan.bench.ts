// ipvlan throughput: L2 slave→slave switching of 64-byte frames through the whole
// emulated path (slave xmit → ipvlan decision → local forward → backlog → receive on
// the target), and master receive demultiplexing against a table of 1,000,000
// addresses, each beside a same-run baseline. Also the heap cost per address.
// Targets (issue 4): ≥ 3,000,000 frames/s switching; ≤ 150 bytes per address.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MacAddr, ipv4, type IpAddr } from '../src/wire/address.ts';
import { hex } from '../src/wire/bytes.ts';
import { createDummy } from '../src/stack/dummy.ts';
import { Kernel } from '../src/stack/kernel.ts';
import { createLoopback } from '../src/stack/loopback.ts';
import type { NetDevice } from '../src/stack/netdev.ts';
import { SkBuff } from '../src/stack/skb.ts';
import { handleFrame } from '../src/ipvlan/core.ts';
import { ipvlanModuleInit, ipvlanNewLink, portOf } from '../src/ipvlan/main.ts';
import { formatResult, runCase } from './harness.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function world() {
  const k = new Kernel({ hostname: 'bench' });
  k.setLoopbackFactory(createLoopback);
  ipvlanModuleInit(k);
  const eth0 = createDummy(k, k.initNet, 'eth0', { address: MacAddr.parse('52:54:00:12:34:56')! });
  k.devOpen(eth0);
  return { k, eth0 };
}

function announce(k: Kernel, dev: NetDevice, addr: IpAddr): void {
  for (const n of k.inetaddrChain) n({ type: 'NETDEV_UP', dev, addr, prefixLen: 32 });
}

/** 64-byte Ethernet/IPv4/UDP frame from 10.0.0.1 to 10.0.0.2, both MACs the shared one. */
function frame64(dst: string): Uint8Array {
  return hex(`525400123456 525400123456 0800 4500 0032 0000 4000 4011 0000 0a000001 ${dst}
    1388 1389 001e 0000 ${'00'.repeat(22)}`);
}

// ---------------------------------------------------------------- switching

{
  const { k, eth0 } = world();
  const a = ipvlanNewLink(k, { link: eth0, name: 'a', data: { mode: 0 } });
  const b = ipvlanNewLink(k, { link: eth0, name: 'b', data: { mode: 0 } });
  announce(k, a, ipv4(0x0a000001));
  announce(k, b, ipv4(0x0a000002));
  k.devOpen(a);
  k.devOpen(b);
  let delivered = 0;
  k.ptypes.set(0x0800, () => {
    delivered++;
  });
  const frames = [frame64('0a000002')];
  let pending = 0;
  const result = runCase({
    name: 'ipvlan l2 slave→slave, 64 B frames',
    inputs: frames,
    iterations: 2_000_000,
    run: (f) => {
      k.devQueueXmit(new SkBuff(f, a));
      // Drain the receive backlog every 64 frames, like one NAPI poll budget.
      if (++pending === 64) {
        pending = 0;
        k.scheduler.runUntilIdle();
      }
      return delivered;
    },
  });
  console.log('# ipvlan: switching (baseline: reading the frame bytes once)');
  console.log(formatResult(result));
  console.log(
    `ipvlan l2 switching: ${Math.round(result.opsPerSec).toLocaleString('en-US')} frames/s (target ≥ 3,000,000)`,
  );
}

// ---------------------------------------------------------------- demux with 1M addresses

{
  const N = 1_000_000;
  const SLAVES = 100;
  const { k, eth0 } = world();
  const slaves = Array.from({ length: SLAVES }, (_, i) =>
    ipvlanNewLink(k, { link: eth0, name: `s${i}`, data: { mode: 0 } }),
  );
  for (const s of slaves) k.devOpen(s);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) announce(k, slaves[i % SLAVES]!, ipv4(0x0b000000 + i));
  gc();
  const after = process.memoryUsage().heapUsed;
  const port = portOf(eth0)!;
  console.log(`# ipvlan: ${port.table.size.toLocaleString('en-US')} addresses in the table`);
  console.log(`ipvlan bytes per address: ${((after - before) / N).toFixed(1)} (target ≤ 150)`);

  // Frames from the wire for random owned addresses; the baseline is a bare Map.get
  // on the same keys (the table without ipvlan's parsing around it).
  const inputs: Uint8Array[] = [];
  for (let i = 0; i < 4096; i++) {
    const addr = (0x0b000000 + ((i * 2654435761) % N)) >>> 0;
    inputs.push(frame64(addr.toString(16).padStart(8, '0')));
  }
  const skbs = inputs.map((f) => {
    const skb = new SkBuff(f, eth0);
    k.ethTypeTrans(skb, eth0);
    return skb;
  });
  let i = 0;
  const demux = runCase({
    name: 'ipvlan rx demux, 1M addresses',
    inputs,
    iterations: 4_000_000,
    run: () => {
      const skb = skbs[i++ & 4095]!;
      skb.dev = eth0;
      return handleFrame(k, port, skb);
    },
  });
  const keys = inputs.map((f) => ((f[30]! << 24) | (f[31]! << 16) | (f[32]! << 8) | f[33]!) >>> 0);
  let j = 0;
  const bare = runCase({
    name: 'bare Map.get, same keys',
    inputs,
    iterations: 4_000_000,
    run: () => port.table.get(keys[j++ & 4095]!),
  });
  console.log(formatResult(demux));
  console.log(formatResult(bare));
  console.log(
    `ipvlan rx demux: ${Math.round(demux.opsPerSec).toLocaleString('en-US')} lookups/s, ` +
      `${(demux.opsPerSec / bare.opsPerSec).toFixed(3)} × a bare Map lookup`,
  );
}
