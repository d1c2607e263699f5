/** `hattama config`: the effective configuration, secrets masked. */
import { describeConfig, loadConfig } from '../../core/index.ts';

export function configCommand(options: { json?: boolean }): void {
  const rows = describeConfig(loadConfig());
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(Object.fromEntries(rows.map((r) => [r.env, r.value])), null, 2)}\n`,
    );
    return;
  }
  const width = Math.max(...rows.map((r) => r.env.length));
  for (const r of rows)
    process.stdout.write(`${r.env.padEnd(width)}  ${r.value === '' ? '(unset)' : r.value}\n`);
}
