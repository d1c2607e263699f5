/**
 * The catalog reads behind every authorised request — the session and its user, the
 * viewer's cases, assignments and courts, the hearing, its courtroom and sealed ranges —
 * remembered while the catalog has not changed (catalog-changes.ts). A cached row is
 * used only if the change token is the one taken *before* that row was read, so a
 * revoked session, a disabled user, a new or ended assignment, a removed participant or
 * a sealed range counts on the very next request, whichever process made the change.
 * Without a token (PostgreSQL) every call goes to the catalog.
 *
 * Only found rows are kept (an unknown session id or hearing is not), each map is bounded,
 * and rows are frozen: callers share them and must not change them.
 */
import type { CatalogChanges } from './catalog-changes.ts';
import type { Repositories } from './repositories/index.ts';

export interface CachedReadsOptions {
  /** Entries kept per kind of read; the oldest go first. Default 10,000. */
  maxEntries?: number;
}

interface Entry<V> {
  token: string;
  value: V;
}

class ReadCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly changes: CatalogChanges,
    private readonly max: number,
  ) {}

  async get(key: string, load: () => Promise<V>): Promise<V> {
    // Taken before reading: a change while the read runs leaves the entry already stale.
    const token = this.changes.token();
    if (token === null) return load();
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.token === token) return hit.value;
    const value = await load();
    if (value !== undefined) this.set(key, { token, value: deepFreeze(value) });
    return value;
  }

  peek(key: string): Entry<V> | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}

function deepFreeze<V>(value: V): V {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Methods of `target` replaced by `overrides`; every other member is the target's own,
 * bound to it, so the wrapper behaves as the repository for everything it does not cache.
 */
function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop as keyof T];
      const v: unknown = Reflect.get(t, prop, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

type Repo<K extends keyof Repositories> = Repositories[K];
type Result<K extends keyof Repositories, M extends keyof Repo<K>> = Repo<K>[M] extends (
  ...a: never[]
) => Promise<infer R>
  ? R
  : never;

/**
 * `repos` with the hot access reads cached; writes and every other read go straight
 * through. Give it to the services that answer authorised requests (sessions, access,
 * hearings, player), never to code inside a transaction.
 */
export function cachedReads(
  repos: Repositories,
  changes: CatalogChanges,
  options: CachedReadsOptions = {},
): Repositories {
  const max = options.maxEntries ?? 10_000;
  const cache = <V>() => new ReadCache<V>(changes, max);

  const sessions = cache<Result<'sessions', 'findWithUser'>>();
  const users = cache<Result<'users', 'find'>>();
  const courtIds = cache<Result<'users', 'courtIds'>>();
  const participations = cache<Result<'cases', 'participationsOfUser'>>();
  const assignments = cache<Result<'cases', 'assignmentsOfUser'>>();
  const hearings = cache<Result<'hearings', 'find'>>();
  const courtrooms = cache<Result<'courts', 'findCourtroom'>>();
  const sealed = cache<Result<'sealedRanges', 'listByHearing'>>();

  return {
    ...repos,
    sessions: withOverrides(repos.sessions, {
      findWithUser: (id) => sessions.get(id, () => repos.sessions.findWithUser(id)),
      async touch(id, at) {
        const before = changes.token();
        await repos.sessions.touch(id, at);
        // The touch does not change the token (catalog-changes.ts), so the cached row is
        // moved on here — only if nothing else changed meanwhile; otherwise it is re-read.
        const hit = sessions.peek(id);
        if (hit?.value && before !== null && hit.token === before && changes.token() === before)
          sessions.set(id, {
            token: before,
            value: deepFreeze({ session: { ...hit.value.session, last_seen_at: at }, user: hit.value.user }),
          });
      },
    }),
    users: withOverrides(repos.users, {
      find: (id) => users.get(id, () => repos.users.find(id)),
      courtIds: (userId) => courtIds.get(userId, () => repos.users.courtIds(userId)),
    }),
    cases: withOverrides(repos.cases, {
      participationsOfUser: (userId) =>
        participations.get(userId, () => repos.cases.participationsOfUser(userId)),
      // Every assignment, in force or not: the policy tells them apart (assignment-not-active).
      assignmentsOfUser: (userId) => assignments.get(userId, () => repos.cases.assignmentsOfUser(userId)),
    }),
    hearings: withOverrides(repos.hearings, {
      find: (id) => hearings.get(id, () => repos.hearings.find(id)),
    }),
    courts: withOverrides(repos.courts, {
      findCourtroom: (id) => courtrooms.get(id, () => repos.courts.findCourtroom(id)),
    }),
    sealedRanges: withOverrides(repos.sealedRanges, {
      listByHearing: (hearingId) => sealed.get(hearingId, () => repos.sealedRanges.listByHearing(hearingId)),
    }),
  };
}
