// Composition root of the `ipvlan` command: picks the world (emulated or Linux),
// registers link kinds, and hands argv to the front end.

const USAGE = `Usage: ipvlan COMMAND
  demo              run the seed example on the emulated network
  run [--bare] FILE run a script of ip/ping/... commands on the emulated network
  shell             interactive prompt on the emulated network
  daemon            the Linux data plane (root)
`;

import { demo } from './demo.ts';

const [command] = process.argv.slice(2);
switch (command) {
  case 'demo':
    demo((line) => process.stdout.write(`${line}\n`));
    break;
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
