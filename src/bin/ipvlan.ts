// Composition root of the `ipvlan` command: picks the world (emulated or Linux),
// registers link kinds, and hands argv to the front end.

// Each command loads its own modules when it runs: the daemon restarting after a crash
// should not pay for loading the emulated world and the shell.

const USAGE = `Usage: ipvlan COMMAND
  demo                                        run examples/seed.sh on the emulated network, with
                                              pictures of the topology and a summary of the pings
  run [--bare] [--switch-hairpin] [--trace] [--pcap FILE] FILE
                                              run a script of ip/ping/arping/sysctl/tcpdump/nft/
                                              conntrack commands on the emulated network, as bash
                                              would (--switch-hairpin: eth0 on a hairpin switch port)
  shell [--bare] [--switch-hairpin] [--trace] interactive prompt on the emulated network
  daemon [--state-dir DIR]                    the Linux data plane (root)
  link add|del|set|show ...                   ipvlan slaves through the daemon (root)
  version                                     the version, and whether dist/ or the sources run
`;

const io = {
  stdout: (t: string) => void process.stdout.write(t),
  stderr: (t: string) => void process.stderr.write(t),
};

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'demo':
    process.exitCode = await (
      await import('./demo.ts')
    ).demo((line) => process.stdout.write(`${line}\n`));
    break;
  case 'run':
    process.exitCode = await (await import('./run.ts')).runCommand(rest, io);
    break;
  case 'shell':
    process.exitCode = await (
      await import('./shell.ts')
    ).shellCommand({
      bare: rest.includes('--bare'),
      trace: rest.includes('--trace'),
      pcap: undefined,
      switchHairpin: rest.includes('--switch-hairpin'),
    });
    break;
  case 'daemon':
    process.exitCode = await (await import('./daemon-cli.ts')).daemonCommand(rest, io);
    break;
  case 'link':
    process.exitCode = await (await import('./daemon-cli.ts')).linkCommand(rest, io);
    break;
  case 'version':
  case '--version':
  case '-V': {
    // The same depth from src/bin and dist/bin, so the path holds for both.
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    const from = import.meta.url.endsWith('.ts') ? 'from the sources (tsx)' : 'compiled (dist/)';
    process.stdout.write(`ipvlan.ts ${pkg.version}, ${from}\n`);
    break;
  }
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(USAGE);
    break;
  default:
    process.stderr.write(`ipvlan: unknown command '${command}'\n${USAGE}`);
    process.exitCode = 2;
}
