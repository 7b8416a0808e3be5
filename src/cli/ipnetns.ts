// `ip netns`: add/delete/list/list-id/identify/set/exec as ip/ipnetns.c handles them.

import { isErrno, strerror } from '../base/errno.ts';
import type { ArgCursor } from './argv.ts';
import { IpExit, matches, parseInteger } from './argv.ts';
import type { IpCmd } from './env.ts';
import { talk } from './errors.ts';

/** iproute2's NETNS_RUN_DIR, part of its error texts. */
const NETNS_RUN_DIR = '/run/netns';

/** ip/ipnetns.c is_netns_name_valid (an empty name is refused as well, per j-grammar). */
function validNetnsName(name: string): boolean {
  return name !== '' && !name.includes('/') && name !== '.' && name !== '..';
}

export const NETNS_USAGE =
  'Usage:\tip netns list\n' +
  '\tip netns add NAME\n' +
  '\tip netns attach NAME PID\n' +
  '\tip netns set NAME NETNSID\n' +
  '\tip [-all] netns delete [NAME]\n' +
  '\tip netns identify [PID]\n' +
  '\tip netns pids NAME\n' +
  '\tip [-all] netns exec [NAME] cmd ...\n' +
  '\tip netns monitor\n' +
  '\tip netns list-id [target-nsid POSITIVE-INT] [nsid POSITIVE-INT]\n' +
  'NETNSID := auto | POSITIVE-INT\n';

export async function doIpNetns(cmd: IpCmd, args: ArgCursor): Promise<number> {
  if (args.done) return list(cmd);
  const w = args.take();
  const api = cmd.env.api;
  if (matches(w, 'help')) throw new IpExit(255, NETNS_USAGE);
  if (matches(w, 'list') || matches(w, 'show') || matches(w, 'lst')) return list(cmd);
  if (matches(w, 'add')) {
    const name = args.current;
    if (name === undefined) throw new IpExit(1, 'No netns name specified\n');
    if (!validNetnsName(name)) throw new IpExit(255, `Invalid netns name "${name}"\n`);
    try {
      await api.netnsAdd(name);
    } catch (err) {
      if (!isErrno(err)) throw err;
      throw new IpExit(
        1,
        `Cannot create namespace file "${NETNS_RUN_DIR}/${name}": ${strerror(err.code)}\n`,
      );
    }
    return 0;
  }
  if (matches(w, 'delete')) {
    const name = args.current;
    if (name === undefined) throw new IpExit(1, 'No netns name specified\n');
    try {
      await api.netnsDel(name);
    } catch (err) {
      if (!isErrno(err)) throw err;
      throw new IpExit(
        1,
        `Cannot remove namespace file "${NETNS_RUN_DIR}/${name}": ${strerror(err.code)}\n`,
      );
    }
    return 0;
  }
  if (matches(w, 'identify')) {
    const pidText = args.current;
    let pid: number | undefined;
    if (pidText !== undefined) {
      const n = parseInteger(pidText);
      if (n === null || n <= 0) throw new IpExit(1, `Invalid pid "${pidText}"\n`);
      pid = n;
    }
    let names: readonly string[];
    try {
      names = await api.netnsIdentify(cmd.ctx, pid);
    } catch (err) {
      if (!isErrno(err)) throw err;
      // /proc/PID/ns/net of a process that does not exist (the emulator has only pid 1).
      throw new IpExit(255, `Cannot open network namespace: ${strerror('ENOENT')}\n`);
    }
    // netns_identify_pid fills one name (the first match) and prints it, or an empty line.
    cmd.env.stdout(`${names[0] ?? ''}\n`);
    return 0;
  }
  if (matches(w, 'set')) {
    const name = args.current;
    args.skip();
    const idText = args.current;
    if (name === undefined || idText === undefined)
      throw new IpExit(1, 'No netns name specified\n');
    const id = idText === 'auto' ? -1 : parseInteger(idText);
    if (id === null || id < -1) throw new IpExit(1, `Invalid "netnsid" value\n`);
    try {
      await api.netnsSetId(cmd.ctx, name, id);
    } catch (err) {
      if (!isErrno(err)) throw err;
      throw new IpExit(1, `Cannot open network namespace "${name}": ${strerror(err.code)}\n`);
    }
    return 0;
  }
  if (matches(w, 'list-id')) return listIds(cmd);
  if (matches(w, 'pids')) {
    const name = args.current;
    if (name === undefined) throw new IpExit(1, 'No netns name specified\n');
    const known = await api.netnsList(cmd.ctx);
    if (!known.some((n) => n.name === name)) {
      throw new IpExit(1, `Cannot open network namespace: ${strerror('ENOENT')}\n`);
    }
    // The emulated host has one process, init (pid 1), in the initial namespace, so no
    // named namespace has any.
    return 0;
  }
  if (matches(w, 'exec')) {
    const name = args.current;
    if (name === undefined) throw new IpExit(1, 'No netns name specified\n');
    args.skip();
    const argv = args.remaining;
    if (argv.length === 0) throw new IpExit(1, 'No command specified\n');
    const known = await api.netnsList(cmd.ctx);
    if (!known.some((n) => n.name === name)) {
      throw new IpExit(255, `Cannot open network namespace "${name}": No such file or directory\n`);
    }
    if (cmd.env.exec !== undefined) return cmd.env.exec(name, argv);
    const r = await api.netnsExec(name, argv);
    if (r.stdout !== '') cmd.env.stdout(r.stdout);
    if (r.stderr !== '') cmd.env.stderr(r.stderr);
    return r.status;
  }
  throw new IpExit(255, `Command "${w}" is unknown, try "ip netns help".\n`);
}

/**
 * `ip netns list-id` (print_nsid): `nsid N ` plus `(iproute2 netns name: NAME)` when a
 * named namespace has that id here.
 */
async function listIds(cmd: IpCmd): Promise<number> {
  const api = cmd.env.api;
  if (api.netnsListIds === undefined)
    throw new IpExit(2, `RTNETLINK answers: ${strerror('EOPNOTSUPP')}\n`);
  const ids = await talk(api.netnsListIds(cmd.ctx));
  const named = await api.netnsList(cmd.ctx);
  const p = cmd.out;
  p.begin();
  for (const id of ids) {
    p.openObject(null);
    p.print('any', 'nsid', 'nsid %s ', id);
    const name = named.find((n) => n.nsid === id)?.name;
    if (name !== undefined) p.print('any', 'name', '(iproute2 netns name: %s)', name);
    p.fp('\n');
    p.closeObject();
  }
  p.end();
  cmd.env.stdout(p.output);
  return 0;
}

/** `ip netns list`: `NAME` or `NAME (id: N)`, or JSON `{"name":..,"id":..}`. */
async function list(cmd: IpCmd): Promise<number> {
  const entries = await cmd.env.api.netnsList(cmd.ctx);
  const p = cmd.out;
  p.begin();
  for (const e of entries) {
    p.openObject(null);
    p.print('any', 'name', '%s', e.name);
    if (e.nsid !== undefined && e.nsid >= 0) p.print('any', 'id', ' (id: %s)', e.nsid);
    p.fp('\n');
    p.closeObject();
  }
  p.end();
  cmd.env.stdout(p.output);
  return 0;
}
