/**
 * The courtroom recorder nodes as the court manages them: who may watch which node's
 * telemetry (levels, alarms, liveness: `recorders.watch`, narrowed to the viewer's own
 * courts), the node tokens administrators issue and revoke (`admin.manage`), and the
 * check of a node's token when it dials in. Adapters (the REST routes, the console's live
 * feed, the recorder ws endpoint) call this; none of them reads the catalog itself.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import {
  ConflictError,
  NotFoundError,
  idSchema,
  lineSchema,
  sha256Hex,
  type Clock,
  type Logger,
} from '../core/index.ts';
import type { RecorderNode, Repositories } from '../storage/index.ts';
import type { AccessService } from './access.service.ts';
import type { Role } from './policy/index.ts';
import type { Origin, Person } from './requester.ts';

/** Only this hash of a node's token is stored. */
export function hashNodeToken(token: string): string {
  return sha256Hex(`hattama-node-token|${token}`);
}

export const createNodeSchema = z.strictObject({
  id: idSchema,
  courtroomId: idSchema.nullable(),
  name: lineSchema(200),
});
export type CreateNode = z.infer<typeof createNodeSchema>;

/**
 * Which nodes a viewer may watch: every node (administrators, who manage them), or the
 * nodes of these courtrooms (the courtrooms of the viewer's courts). A node assigned to
 * no courtroom is seen by administrators only.
 */
export interface WatchScope {
  all: boolean;
  courtroomIds: ReadonlySet<string>;
}

export const NOTHING_WATCHED: WatchScope = { all: false, courtroomIds: new Set() };

export function inScope(scope: WatchScope, courtroomId: string | null): boolean {
  return scope.all || (courtroomId !== null && scope.courtroomIds.has(courtroomId));
}

/** A node as the hub authenticated it. */
export interface AuthenticatedNode {
  id: string;
  courtroomId: string | null;
}

export class RecorderNodesService {
  constructor(
    private readonly d: {
      repos: Repositories;
      access: AccessService;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /**
   * The node whose id and token these are, or null for an unknown or revoked node or a
   * wrong token (compared in constant time over the hashes).
   */
  async authenticate(nodeId: string, token: string): Promise<AuthenticatedNode | null> {
    const node = nodeId ? await this.d.repos.recorderNodes.find(nodeId) : undefined;
    const expected = node?.token_hash ? Buffer.from(node.token_hash, 'hex') : null;
    const given = Buffer.from(hashNodeToken(token), 'hex');
    if (!node || !expected || node.revoked_at !== null || expected.length !== given.length) return null;
    if (!crypto.timingSafeEqual(expected, given)) return null;
    return { id: node.id, courtroomId: node.courtroom_id };
  }

  /** Notes that a node was seen (connected); shown as `lastSeenAt`. */
  async seen(nodeId: string): Promise<void> {
    await this.d.repos.recorderNodes.touch(nodeId, this.d.clock.now());
  }

  /**
   * Decides `recorders.watch` (a refusal is audited and thrown as AccessRefusedError) and
   * returns which nodes the person watches.
   */
  async watchScope(person: Person, origin: Origin): Promise<WatchScope> {
    await this.d.access.require({ user: person, hearing: null, action: 'recorders.watch', origin });
    return this.scopeOf(person);
  }

  /** The nodes a person may watch, from the catalog (GET /api/recorders). */
  async watchable(person: Person, origin: Origin): Promise<{ nodes: RecorderNode[]; scope: WatchScope }> {
    const scope = await this.watchScope(person, origin);
    const nodes = (await this.d.repos.recorderNodes.list()).filter((n) => inScope(scope, n.courtroom_id));
    return { nodes, scope };
  }

  /**
   * Whose courtrooms a person's console shows. Telemetry carries no evidence, but which
   * courtroom records what, and when, is still the court's business: staff see their own
   * courts. Operators and secretaries work at the courts they are attached to
   * (`user_courts`); judges and secretaries also at the courts of the hearings they
   * preside over or keep the record of. Administrators manage every node, so they see all.
   */
  private async scopeOf(person: Person): Promise<WatchScope> {
    const role: Role = person.role;
    switch (role) {
      case 'administrator':
        return { all: true, courtroomIds: new Set() };
      case 'operator':
        return this.courtroomsOf((await this.d.access.viewerFor(person)).courtIds);
      case 'judge':
      case 'secretary': {
        const [viewer, hearings] = await Promise.all([
          this.d.access.viewerFor(person),
          this.d.repos.hearings.list(),
        ]);
        const rooms = new Set<string>();
        for (const h of hearings)
          if (h.judge_user_id === person.id || h.secretary_user_id === person.id) rooms.add(h.courtroom_id);
        // A hearing's courtroom names its court; every room of that court is the staff's.
        const found = await Promise.all([...rooms].map((id) => this.d.repos.courts.findCourtroom(id)));
        const courts = new Set([...viewer.courtIds, ...found.flatMap((r) => (r ? [r.court_id] : []))]);
        return this.courtroomsOf([...courts]);
      }
      case 'party':
      case 'representative':
      case 'higher-court-judge':
      case 'auditor':
        // The policy refuses them `recorders.watch`; should it ever allow, they see nothing.
        return NOTHING_WATCHED;
      default:
        return role satisfies never;
    }
  }

  private async courtroomsOf(courtIds: readonly string[]): Promise<WatchScope> {
    const rooms = await Promise.all(courtIds.map((c) => this.d.repos.courts.listCourtrooms(c)));
    return { all: false, courtroomIds: new Set(rooms.flat().map((r) => r.id)) };
  }

  private async manage(person: Person, origin: Origin, target: string): Promise<void> {
    await this.d.access.require({
      user: person,
      hearing: null,
      action: 'admin.manage',
      origin,
      target,
      audit: true,
    });
  }

  /** Creates a node; its token is returned once, only its hash is kept. */
  async create(person: Person, origin: Origin, input: CreateNode): Promise<{ id: string; token: string }> {
    await this.manage(person, origin, `recorder ${input.id}`);
    if (input.courtroomId && !(await this.d.repos.courts.findCourtroom(input.courtroomId)))
      throw new NotFoundError(`courtroom ${input.courtroomId} does not exist`);
    if (await this.d.repos.recorderNodes.find(input.id))
      throw new ConflictError(`recorder ${input.id} exists; use /token to issue a new token`);
    const token = crypto.randomBytes(24).toString('base64url');
    await this.d.repos.recorderNodes.insert({
      id: input.id,
      courtroom_id: input.courtroomId,
      name: input.name,
      token_hash: hashNodeToken(token),
      created_at: this.d.clock.now(),
      last_seen_at: null,
      revoked_at: null,
    });
    this.d.logger.info({ recorderId: input.id, by: person.login }, 'recorder node created');
    return { id: input.id, token };
  }

  /** Issues a node a new token (and lifts a revocation); the old token stops working. */
  async issueToken(person: Person, origin: Origin, id: string): Promise<{ id: string; token: string }> {
    await this.manage(person, origin, `recorder ${id} token`);
    const token = crypto.randomBytes(24).toString('base64url');
    if (!(await this.d.repos.recorderNodes.setTokenHash(id, hashNodeToken(token))))
      throw new NotFoundError(`recorder ${id} does not exist`);
    this.d.logger.info({ recorderId: id, by: person.login }, 'recorder node token issued');
    return { id, token };
  }

  async revoke(person: Person, origin: Origin, id: string): Promise<{ id: string; revoked: true }> {
    await this.manage(person, origin, `recorder ${id} revoke`);
    if (!(await this.d.repos.recorderNodes.revoke(id, this.d.clock.now())))
      throw new NotFoundError(`recorder ${id} does not exist`);
    this.d.logger.info({ recorderId: id, by: person.login }, 'recorder node revoked');
    return { id, revoked: true };
  }
}
