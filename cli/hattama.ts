/**
 * The `hattama` command: composes the modules into processes. No business logic here.
 * Commands are imported when run, so `--help` stays fast and loads no backend code.
 */
import { Command } from 'commander';
import { HATTAMA_VERSION, configReferenceMarkdown } from '../core/index.ts';
import { runCommand, EXIT } from './run-command.ts';
import type { UsersAddOptions } from './commands/users.ts';

const serve = (role: 'all' | 'hub' | 'worker' | 'recorder') => async () =>
  (await import('./commands/serve.ts')).serveCommand(role);

const program = new Command()
  .name('hattama')
  .description(
    'Records court hearings as tamper-evident evidence and serves them under the court’s access rules.',
  )
  .version(HATTAMA_VERSION)
  .showHelpAfterError('(run "hattama --help" for the commands)')
  .exitOverride((err) => {
    // commander's own usage errors exit 2 like every other usage error of ours.
    process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
  });

program
  .command('all')
  .description(
    'Run the embedded service: hub, worker and demo recorder in one process (SQLite, local objects, in-process jobs).',
  )
  .action(() => runCommand(serve('all')));

program
  .command('hub')
  .description('Run the hub (API, ws endpoints, UI) of a scaled-out deployment, configured by environment.')
  .action(() => runCommand(serve('hub')));

program
  .command('worker')
  .description('Run a job worker (integrity checks, copies) of a scaled-out deployment.')
  .action(() => runCommand(serve('worker')));

program
  .command('recorder')
  .description(
    'Run a courtroom recorder node: captures its sources, spools, uploads and registers with the hub (HATTAMA_HUB_URL).',
  )
  .action(() => runCommand(serve('recorder')));

program
  .command('demo')
  .description(
    'Record a demo hearing (test-pattern camera, four microphones) on the embedded stack, stop it, print a summary.',
  )
  .requiredOption('--seconds <n>', 'seconds of media to record')
  .option('--data-dir <dir>', 'data directory (default: HATTAMA_DATA_DIR or ./data)')
  .option('--json', 'print exactly one JSON object')
  .action((opts: { seconds: string; dataDir?: string; json?: boolean }) =>
    runCommand(async () => (await import('./commands/demo.ts')).demoCommand(opts)),
  );

program
  .command('config')
  .description(
    'Print the effective configuration from the environment, secrets masked; exits 2 if it is invalid.',
  )
  .option('--json', 'print one JSON object')
  .option('--reference', 'print the configuration reference (Markdown table) of every variable')
  .action((opts: { json?: boolean; reference?: boolean }) =>
    runCommand(async () => {
      if (opts.reference) process.stdout.write(`${configReferenceMarkdown()}\n`);
      else (await import('./commands/config.ts')).configCommand(opts);
    }),
  );

program
  .command('verify')
  .description(
    "Check a recording's integrity: every segment's SHA-256 and each track's hash chain against the manifest; exits 1 naming each problem.",
  )
  .argument('<manifest-or-hearing>', 'a manifest.json file, or the id of a hearing in the catalog')
  .option('--data-dir <dir>', 'data directory for this run (instead of HATTAMA_DATA_DIR)')
  .option('--json', 'print one JSON object')
  .action((target: string, opts: { dataDir?: string; json?: boolean }) =>
    runCommand(async () => (await import('./commands/verify.ts')).verifyCommand(target, opts)),
  );

const audit = program.command('audit').description('The append-only, hash-chained audit log.');
audit
  .command('verify')
  .description(
    'Recompute the audit log hash chain; exit 1 naming the first edited, deleted or inserted entry.',
  )
  .option('--data-dir <dir>', 'data directory (default: HATTAMA_DATA_DIR or ./data)')
  .option('--json', 'print exactly one JSON object')
  .action((opts: { dataDir?: string; json?: boolean }) =>
    runCommand(async () => (await import('./commands/audit.ts')).auditVerifyCommand(opts)),
  );

const users = program
  .command('users')
  .description(
    'User accounts: add, set a password, disable, enable, list. Passwords come from a file or stdin, never the command line.',
  );
const usersCommands = () => import('./commands/users.ts');
const dataDirOption = ['--data-dir <dir>', 'data directory (default: HATTAMA_DATA_DIR or ./data)'] as const;
users
  .command('add')
  .description(
    'Add a user; without --password-file or --password-stdin a random password is generated and printed once.',
  )
  .argument('<login>', 'log-in name: 2-64 of a-z, 0-9, ".", "_", "-"')
  .requiredOption(
    '--role <role>',
    'administrator, operator, secretary, judge, party, representative, higher-court-judge or auditor',
  )
  .option('--name <name>', 'display name (default: the login)')
  .option('--locale <locale>', 'ru, kk or en (default: ru)')
  .option(
    '--court <id>',
    'a court the user works at (operators, secretaries); repeat for several',
    (id: string, previous: string[]) => [...previous, id],
    [] as string[],
  )
  .option('--password-file <file>', 'read the password from this file (one trailing newline is dropped)')
  .option('--password-stdin', 'read the password from standard input')
  .option(...dataDirOption)
  .option('--json', 'print one JSON object')
  .action((login: string, opts: UsersAddOptions) =>
    runCommand(async () => (await usersCommands()).usersAddCommand(login, opts)),
  );
users
  .command('passwd')
  .description(
    "Set a user's password (generated and printed once if none is given); ends the user's sessions.",
  )
  .argument('<login>', 'log-in name')
  .option('--password-file <file>', 'read the password from this file (one trailing newline is dropped)')
  .option('--password-stdin', 'read the password from standard input')
  .option(...dataDirOption)
  .option('--json', 'print one JSON object')
  .action(
    (
      login: string,
      opts: { passwordFile?: string; passwordStdin?: boolean; dataDir?: string; json?: boolean },
    ) => runCommand(async () => (await usersCommands()).usersPasswdCommand(login, opts)),
  );
users
  .command('disable')
  .description('Disable a user and end their sessions; the account and its history stay.')
  .argument('<login>', 'log-in name')
  .option(...dataDirOption)
  .option('--json', 'print one JSON object')
  .action((login: string, opts: { dataDir?: string; json?: boolean }) =>
    runCommand(async () => (await usersCommands()).usersDisableCommand(login, opts)),
  );
users
  .command('enable')
  .description('Enable a disabled user again.')
  .argument('<login>', 'log-in name')
  .option(...dataDirOption)
  .option('--json', 'print one JSON object')
  .action((login: string, opts: { dataDir?: string; json?: boolean }) =>
    runCommand(async () => (await usersCommands()).usersEnableCommand(login, opts)),
  );
users
  .command('list')
  .description('List users (never their passwords).')
  .option(...dataDirOption)
  .option('--json', 'print a JSON array')
  .action((opts: { dataDir?: string; json?: boolean }) =>
    runCommand(async () => (await usersCommands()).usersListCommand(opts)),
  );

await program.parseAsync(process.argv);
