import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withConfigReference } from '../scripts/gen-config-docs.ts';

describe('README', () => {
  const readme = fs.readFileSync('README.md', 'utf8');

  it('has the configuration reference generated from the schema (run npm run docs:config if this fails)', () => {
    expect(readme).toBe(withConfigReference(readme));
  });

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
