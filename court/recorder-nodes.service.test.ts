/**
 * RecorderNodesService on a real catalog (SQLite) with the real access service and audit
 * log: whose nodes each role watches, the node token check, and node management for
 * administrators only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, createLogger } from '../core/index.ts';
import { AuditLog, createRepositories, type Repositories, type UserRole } from '../storage/index.ts';
import { openTestCatalog, type TestCatalog } from '../test/support/catalog.ts';
import { AccessService } from './access.service.ts';
import { AccessRefusedError } from './policy/index.ts';
import { RecorderNodesService, hashNodeToken, inScope } from './recorder-nodes.service.ts';
import type { Origin, Person } from './requester.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const HERE: Origin = { address: '10.9.9.9' };

let t: TestCatalog;
let repos: Repositories;
let nodes: RecorderNodesService;

function person(role: UserRole, id = `u-${role}`): Person {
  return { id, login: id.slice(2), displayName: id, role };
}

beforeAll(async () => {
  t = await openTestCatalog('sqlite');
  repos = createRepositories(t.catalog.db);
  const clock = new FakeClock(T0);
  const logger = createLogger({ level: 'silent' });
  const access = new AccessService({
    repos,
    audit: new AuditLog(repos.auditLog, clock),
    clock,
    logger,
    courtNetworks: [],
  });
  nodes = new RecorderNodesService({ repos, access, clock, logger });
  for (const court of ['court-a', 'court-b']) {
    await repos.courts.insertCourt({ id: court, name: court, created_at: T0 });
    await repos.courts.insertCourtroom({
      id: `${court}-room`,
      court_id: court,
      name: 'Room',
      created_at: T0,
    });
  }
  for (const [id, room] of [
    ['node-a', 'court-a-room'],
    ['node-b', 'court-b-room'],
    ['node-spare', null],
  ] as const)
    await repos.recorderNodes.insert({
      id,
      courtroom_id: room,
      name: id,
      token_hash: hashNodeToken(`${id}-token`),
      created_at: T0,
      last_seen_at: null,
      revoked_at: null,
    });
  for (const role of ['operator', 'secretary', 'judge', 'administrator', 'party'] as const)
    await repos.users.insert({
      id: `u-${role}`,
      login: role,
      display_name: role,
      role,
      password_hash: 'x',
      locale: 'en',
      disabled_at: null,
      created_at: T0,
      updated_at: T0,
    });
  await repos.users.addCourt('u-operator', 'court-a', T0);
  await repos.users.addCourt('u-secretary', 'court-a', T0);
  // The judge is attached to no court; they preside over a hearing in court B.
  await repos.hearings.insert({
    id: 'h-1',
    courtroom_id: 'court-b-room',
    case_number: '2-1/2026',
    title: 'h-1',
    judge: 'Judge',
    visibility: 'open',
    language: 'ru',
    state: 'scheduled',
    scheduled_at: null,
    started_at: null,
    stopped_at: null,
    manifest_key: null,
    manifest_sha256: null,
    created_at: T0,
    updated_at: T0,
    case_id: null,
    judge_user_id: 'u-judge',
    secretary_user_id: null,
  });
});

afterAll(async () => {
  await t?.dispose();
});

describe('which nodes a viewer watches', () => {
  it.each([
    ['operator', ['node-a']],
    ['secretary', ['node-a']],
    ['judge', ['node-b']],
    ['administrator', ['node-a', 'node-b', 'node-spare']],
  ] as const)('shows a %s the nodes of their courts only', async (role, expected) => {
    const { nodes: seen, scope } = await nodes.watchable(person(role), HERE);
    expect(seen.map((n) => n.id)).toEqual(expected);
    expect(inScope(scope, null)).toBe(role === 'administrator');
  });

  it('refuses a party with the policy reason and audits the refusal', async () => {
    await expect(nodes.watchable(person('party'), HERE)).rejects.toBeInstanceOf(AccessRefusedError);
    const log = await repos.auditLog.list({});
    expect(log.at(-1)).toMatchObject({ actor: 'party', action: 'recorders.watch', verdict: 'refuse' });
  });
});

describe('node tokens', () => {
  it('authenticates the right token only, and no revoked node', async () => {
    expect(await nodes.authenticate('node-a', 'node-a-token')).toEqual({
      id: 'node-a',
      courtroomId: 'court-a-room',
    });
    expect(await nodes.authenticate('node-a', 'node-b-token')).toBeNull();
    expect(await nodes.authenticate('node-x', 'node-a-token')).toBeNull();
    const { token } = await nodes.issueToken(person('administrator'), HERE, 'node-b');
    expect(await nodes.authenticate('node-b', 'node-b-token')).toBeNull();
    expect(await nodes.authenticate('node-b', token)).toMatchObject({ id: 'node-b' });
    await nodes.revoke(person('administrator'), HERE, 'node-b');
    expect(await nodes.authenticate('node-b', token)).toBeNull();
  });

  it('lets only administrators create nodes, issue tokens and revoke', async () => {
    for (const role of ['operator', 'secretary', 'judge'] as const) {
      await expect(
        nodes.create(person(role), HERE, { id: `node-${role}`, courtroomId: null, name: 'x' }),
      ).rejects.toBeInstanceOf(AccessRefusedError);
      await expect(nodes.revoke(person(role), HERE, 'node-a')).rejects.toBeInstanceOf(AccessRefusedError);
    }
    expect(await repos.recorderNodes.find('node-a')).toMatchObject({ revoked_at: null });
    const made = await nodes.create(person('administrator'), HERE, {
      id: 'node-new',
      courtroomId: 'court-a-room',
      name: 'New',
    });
    expect(await nodes.authenticate('node-new', made.token)).toMatchObject({ courtroomId: 'court-a-room' });
  });
});
