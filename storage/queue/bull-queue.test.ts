import { describe, expect, it } from 'vitest';
import { createJobQueue } from './index.ts';

describe('bull driver without Redis', () => {
  it('refuses to start with BACKEND_UNAVAILABLE when Redis does not answer, leaving no open handles', async () => {
    const started = Date.now();
    await expect(
      createJobQueue({
        driver: 'bull',
        redisUrl: 'redis://127.0.0.1:1',
        prefix: 'never',
        names: ['x.run'],
        connectTimeoutMs: 300,
      }),
    ).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
