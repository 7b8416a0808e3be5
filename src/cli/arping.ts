// `arping` as iputils-arping 20221126 prints it: ARP requests for one IPv4 address out of
// one interface, one line per answer, and the tally at the end.
//
//   ARPING 192.168.50.11 from 192.168.50.10 ipvl0
//   Unicast reply from 192.168.50.11 [52:54:00:12:34:56]  0.052ms
//   Sent 1 probes (1 broadcast(s))
//   Received 1 response(s)
//
// Options: -c COUNT, -w DEADLINE (s), -i INTERVAL (s), -I IFACE, -s SOURCE, -f (stop at
// the first reply), -q, -b (keep broadcasting; otherwise iputils switches to unicast to
// the first replier), -D (duplicate address detection: source 0.0.0.0), -U (unsolicited:
// announce SOURCE). Exit status: 0 when a reply came (DAD: 0 when none came, -U: always
// 0), 1 otherwise, 2 for usage and device errors (`Interface "X" is not ARPable`, as
// e-bcast.out records it for an l3 slave).

import { isErrno, strerror } from '../base/errno.ts';
import type { ArpSocket, SystemNanos } from '../rtnl/system.ts';
import { IFF_LOOPBACK, IFF_NOARP, IFF_UP } from '../uapi/if.ts';
import type { MacAddr } from '../wire/address.ts';
import { formatIpv4, parseIpv4, type Ipv4Addr } from '../wire/address.ts';
import { getopt, toolCtx, type ToolEnv } from './command.ts';

const NS_PER_SEC = 1_000_000_000;
const OPTSTRING = 'bfDUAqhVc:w:W:i:s:I:';

const USAGE = `
Usage:
  arping [options] <destination>

Options:
  -f            quit on first reply
  -q            be quiet
  -b            keep on broadcasting, do not unicast
  -D            duplicate address detection mode
  -U            unsolicited ARP mode, update your neighbours
  -A            ARP answer mode, update your neighbours
  -V            print version and exit
  -c <count>    how many packets to send
  -w <timeout>  how long to wait for a reply
  -i <interval> set interval between packets (default: 1 second)
  -I <device>   which ethernet device to use
  -s <source>   source IP address
  <destination> dns name or IP address

For more details see arping(8).
`;

/** iputils' print_hex: upper-case hex octets joined by colons. */
function macUpper(mac: MacAddr): string {
  return [...mac.bytes].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/** `%ld.%03ldms` of a nanosecond span, as iputils prints the reply delay. */
function millis(ns: number): string {
  const us = Math.max(0, Math.floor(ns / 1000));
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}ms`;
}

function seconds(text: string): number | null {
  if (!/^(\d+\.?\d*|\.\d+)$/.test(text)) return null;
  return Number(text);
}

/** The `arping` tool (see the file header). */
export async function runArping(env: ToolEnv, argv: readonly string[]): Promise<number> {
  const err = (text: string): number => {
    env.stderr(text);
    return 2;
  };
  const parsed = getopt(argv, OPTSTRING);
  if ('kind' in parsed) {
    const what =
      parsed.kind === 'missing'
        ? `option requires an argument -- '${parsed.opt}'`
        : `invalid option -- '${parsed.opt}'`;
    return err(`arping: ${what}\n${USAGE}`);
  }
  let count = -1;
  let deadline: number | undefined;
  let interval = 1;
  let iface: string | undefined;
  let sourceText: string | undefined;
  let quitOnReply = false;
  let quiet = false;
  let broadcastOnly = false;
  let dad = false;
  let unsolicited = false;
  for (const [opt, value = ''] of parsed.opts) {
    switch (opt) {
      case 'c': {
        const n = /^\d+$/.test(value) ? Number(value) : NaN;
        if (!Number.isSafeInteger(n) || n <= 0)
          return err(`arping: invalid argument: '${value}'\n`);
        count = n;
        break;
      }
      case 'w':
      case 'W':
      case 'i': {
        const s = seconds(value);
        if (s === null) return err(`arping: invalid argument: '${value}'\n`);
        if (opt === 'w') deadline = s;
        else interval = s;
        break;
      }
      case 'I':
        iface = value;
        break;
      case 's':
        sourceText = value;
        break;
      case 'f':
        quitOnReply = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 'b':
        broadcastOnly = true;
        break;
      case 'D':
        dad = true;
        quitOnReply = true;
        break;
      case 'U':
      case 'A':
        unsolicited = true;
        break;
      case 'V':
        env.stdout('arping from iputils 20221126\n');
        return 0;
      default:
        env.stdout(USAGE);
        return 2;
    }
  }
  if (parsed.operands.length !== 1) return err(USAGE);
  const targetText = parsed.operands[0] ?? '';
  const target = parseIpv4(targetText);
  if (target === null) return err(`arping: ${targetText}: Name or service not known\n`);
  const api = env.sys.arping;
  if (api === undefined) return err('arping: socket: Address family not supported by protocol\n');
  const ctx = toolCtx(env);

  // The device: -I, else the first up device that can ARP (iputils' find_device).
  const links = await env.api.dumpLinks(ctx).catch(() => []);
  const link =
    iface === undefined
      ? links.find((l) => (l.flags & IFF_UP) !== 0 && (l.flags & (IFF_LOOPBACK | IFF_NOARP)) === 0)
      : links.find((l) => l.ifname === iface);
  if (link === undefined) {
    if (iface === undefined)
      return err('arping: Suitable device could not be determined. Please, use option -I.\n');
    return err(`arping: Device ${iface} not available.\n`);
  }
  const dev = link.ifname;
  if ((link.flags & (IFF_NOARP | IFF_LOOPBACK)) !== 0)
    return err(`Interface "${dev}" is not ARPable\n`);
  if ((link.flags & IFF_UP) === 0) return err(`Interface "${dev}" is down\n`);

  let source: Ipv4Addr;
  if (sourceText !== undefined) {
    const s = parseIpv4(sourceText);
    if (s === null) return err(`arping: invalid source ${sourceText}\n`);
    source = s;
  } else if (dad) source = 0 as Ipv4Addr;
  else if (unsolicited) source = target;
  else {
    const s = await api.sourceFor(ctx, dev, target).catch(() => null);
    if (s === null) return err('arping: no source address in not-DAD mode\n');
    source = s;
  }

  let sock: ArpSocket;
  try {
    sock = await api.open(ctx, dev);
  } catch (e) {
    if (!isErrno(e)) throw e;
    return err(`arping: socket: ${strerror(e.code)}\n`);
  }
  if (!quiet) env.stdout(`ARPING ${formatIpv4(target)} from ${formatIpv4(source)} ${dev}\n`);

  const clock = env.sys.clock;
  const start = clock.now();
  const end = deadline === undefined ? Infinity : start + deadline * NS_PER_SEC;
  let sent = 0;
  let broadcasts = 0;
  let received = 0;
  let peer: MacAddr | undefined;
  let remaining = count;
  let done = false;
  let lastSend: SystemNanos = start;
  try {
    while (!done) {
      if (remaining !== 0) {
        const dst = broadcastOnly || peer === undefined ? undefined : peer;
        try {
          lastSend = await sock.request(unsolicited ? target : source, target, dst);
        } catch (e) {
          if (!isErrno(e)) throw e;
          env.stderr(`arping: sendto: ${strerror(e.code)}\n`);
          lastSend = clock.now();
        }
        sent++;
        if (dst === undefined) broadcasts++;
        if (remaining > 0) remaining--;
      } else {
        // The tick after the last probe: iputils finishes there.
        break;
      }
      const tickEnd = Math.min(lastSend + interval * NS_PER_SEC, end);
      for (;;) {
        const reply = await sock.receive(target, tickEnd);
        if (reply === null) break;
        received++;
        if (!broadcastOnly) peer = reply.mac;
        if (!quiet) {
          env.stdout(
            `Unicast reply from ${formatIpv4(reply.from)} [${macUpper(reply.mac)}]  ${millis(reply.time - lastSend)}\n`,
          );
        }
        if (quitOnReply || (remaining === 0 && received >= sent)) {
          done = true;
          break;
        }
      }
      if (clock.now() >= end) break;
      if (unsolicited && remaining === 0) break;
    }
  } finally {
    await sock.close();
  }
  if (!quiet) {
    env.stdout(`Sent ${sent} probes (${broadcasts} broadcast(s))\n`);
    env.stdout(`Received ${received} response(s)\n`);
  }
  if (dad) return received > 0 ? 1 : 0;
  if (unsolicited) return 0;
  return received > 0 ? 0 : 1;
}
