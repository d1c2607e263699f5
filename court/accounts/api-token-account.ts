/**
 * The account the administrator's API token acts as: `api-token`, an administrator under
 * the same policy as every other account (administrators manage courts, accounts and
 * recorder nodes and see no evidence). It has no password, so nobody logs in as it;
 * disabling it turns the token off without a restart. The web adapter's gate
 * (`web/auth/api-token.ts`) checks the token and audits every use.
 */
import type { Clock } from '../../core/index.ts';
import type { Repositories } from '../../storage/index.ts';
import type { AuthUser } from './sessions.ts';

export const API_TOKEN_LOGIN = 'api-token';
export const API_TOKEN_USER_ID = 'u-api-token';
/** Not a scrypt hash: no password verifies against it (passwords.ts decodes it to nothing). */
const NO_PASSWORD = 'none$api-token-account';

/** The account the token acts as; made on the hub's first start. */
export async function ensureApiTokenAccount(d: {
  repos: Pick<Repositories, 'users'>;
  clock: Clock;
}): Promise<AuthUser> {
  const existing = await d.repos.users.find(API_TOKEN_USER_ID);
  if (!existing) {
    const now = d.clock.now();
    await d.repos.users
      .insert({
        id: API_TOKEN_USER_ID,
        login: API_TOKEN_LOGIN,
        display_name: 'Administrator (API token)',
        role: 'administrator',
        password_hash: NO_PASSWORD,
        locale: 'en',
        disabled_at: null,
        created_at: now,
        updated_at: now,
      })
      // Two hubs starting on one catalog: the other made it.
      .catch(async (error: unknown) => {
        if (!(await d.repos.users.find(API_TOKEN_USER_ID))) throw error;
      });
  }
  return apiTokenPerson();
}

export function apiTokenPerson(): AuthUser {
  return {
    id: API_TOKEN_USER_ID,
    login: API_TOKEN_LOGIN,
    displayName: 'Administrator (API token)',
    role: 'administrator',
    locale: 'en',
  };
}
