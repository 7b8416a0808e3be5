// `ipvlan demo` (what `npm start` runs): the seed HOWTO's section-6 example, run on the
// emulated network as a terminal would show it. First a picture of the world the
// script starts from (host1's eth0 cabled to a router), then every line of
// examples/seed.sh — comments as written, commands after the shell's prompt
// (`[ns0] root@host1:~# ` inside `ip netns exec ns0 bash`) followed by what they
// printed — then the picture of the world the script built and one line per ping.
// Everything shown is observed from the running world; nothing is scripted text.

import { readFileSync } from 'node:fs';
import { Shell } from '../cli/script.ts';
import { buildEmuWorld, HOST_NAME } from './emu-world.ts';
import { worldPicture } from './topology.ts';

const SEED = new URL('../../examples/seed.sh', import.meta.url);

/** One ping's result, from its statistics line. */
interface PingResult {
  readonly where: string;
  readonly dst: string;
  readonly sent: number;
  readonly received: number;
}

function pingResult(where: string, output: string): PingResult | null {
  const head = /^PING (\S+) /m.exec(output);
  const stats = /^(\d+) packets transmitted, (\d+) received/m.exec(output);
  if (head === null || stats === null) return null;
  return { where, dst: head[1] ?? '', sent: Number(stats[1]), received: Number(stats[2]) };
}

/** Runs the demo, writing whole lines to `out`; resolves to the script's exit status. */
export async function demo(
  out: (line: string) => void,
  script: string = readFileSync(SEED, 'utf8'),
): Promise<number> {
  const session = await buildEmuWorld();
  const picture = async (): Promise<string> =>
    worldPicture(
      { name: HOST_NAME, api: session.api },
      session.routerApi === undefined
        ? undefined
        : { name: 'router', api: session.routerApi, via: session.upstreamLabel() ?? '' },
    );
  const emit = (text: string): void => {
    for (const line of text.replace(/\n$/, '').split('\n')) out(line);
  };

  out('ipvlan.ts: the ipvlan HOWTO example (section 6) on the emulated network');
  out('');
  out('The world the script starts from:');
  out('');
  emit(await picture());
  out('');
  out('examples/seed.sh, line by line:');
  out('');

  let text = '';
  const sink = (t: string): void => void (text += t);
  const shell = new Shell(
    { api: session.api, sys: session.sys, tools: session.tools, stdout: sink, stderr: sink },
    { scriptName: 'examples/seed.sh' },
  );
  const pings: PingResult[] = [];
  for (const [i, line] of script.split('\n').entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) {
      out(line);
      continue;
    }
    out(`${shell.prompt(HOST_NAME)}${line}`);
    text = '';
    const where = shell.netns ?? HOST_NAME;
    await shell.runLine(line, i + 1);
    if (text !== '') emit(text);
    const words = line.trim().split(/\s+/);
    if (words.includes('ping')) {
      const ns =
        words[0] === 'ip' && words[1] === 'netns' && words[2] === 'exec' ? words[3] : where;
      const r = pingResult(ns ?? where, text);
      if (r !== null) pings.push(r);
    }
  }
  await shell.waitJobs();

  out('');
  out('The world the script built:');
  out('');
  emit(await picture());
  out('');
  out('Pings:');
  for (const p of pings) {
    const verdict = p.received === p.sent ? 'ok' : p.received === 0 ? 'FAILED' : 'partial';
    out(
      `  ${p.where.padEnd(6)} -> ${p.dst.padEnd(15)} ${p.received}/${p.sent} replies  ${verdict}`,
    );
  }
  out('');
  out('More: examples/{l2-bridge,l3,private,vepa,l3s}.sh (npx ipvlan run FILE), npx ipvlan shell');
  return shell.status;
}
