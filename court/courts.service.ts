/**
 * Courts, courtrooms and on-site terminals, as the administrator keeps them. Only
 * administrators change them (`admin.manage`, audited); registering or revoking a
 * terminal changes who counts as on site, so it is made only once a second administrator
 * approves it (ApprovalsService, docs/decisions/0018-separation-of-duties.md).
 */
import crypto from 'node:crypto';
import { ConflictError, NotFoundError, type Clock } from '../core/index.ts';
import type { Court, Courtroom, Repositories } from '../storage/index.ts';
import { hashTerminalToken, type AccessService } from './access.service.ts';
import type { Origin, Person } from './requester.ts';

export interface NewTerminal {
  id: string;
  courtId: string;
  name: string;
}

export class CourtsService {
  constructor(
    private readonly d: {
      repos: Repositories;
      access: AccessService;
      clock: Clock;
    },
  ) {}

  /** Refuses (403, audited) anyone but an administrator; audits the administrator's change. */
  async requireAdministrator(person: Person, origin: Origin, target: string): Promise<void> {
    await this.d.access.require({
      user: person,
      hearing: null,
      action: 'admin.manage',
      origin,
      target,
      audit: true,
    });
  }

  /** Refuses (403, audited) anyone but an administrator; an allowed read is not audited. */
  async requireAdministratorQuietly(person: Person, origin: Origin, target: string): Promise<void> {
    await this.d.access.require({ user: person, hearing: null, action: 'admin.manage', origin, target });
  }

  listCourts(): Promise<Court[]> {
    return this.d.repos.courts.listCourts();
  }

  listCourtrooms(): Promise<Courtroom[]> {
    return this.d.repos.courts.listCourtrooms();
  }

  async createCourt(person: Person, origin: Origin, input: { id: string; name: string }): Promise<Court> {
    await this.requireAdministrator(person, origin, `court ${input.id}`);
    if (await this.d.repos.courts.findCourt(input.id)) throw new ConflictError(`court ${input.id} exists`);
    const court = { id: input.id, name: input.name, created_at: this.d.clock.now() };
    await this.d.repos.courts.insertCourt(court);
    return court;
  }

  async createCourtroom(
    person: Person,
    origin: Origin,
    input: { id: string; courtId: string; name: string },
  ): Promise<Courtroom> {
    await this.requireAdministrator(person, origin, `courtroom ${input.id}`);
    if (!(await this.d.repos.courts.findCourt(input.courtId)))
      throw new NotFoundError(`court ${input.courtId} does not exist`);
    if (await this.d.repos.courts.findCourtroom(input.id))
      throw new ConflictError(`courtroom ${input.id} exists`);
    const room = { id: input.id, court_id: input.courtId, name: input.name, created_at: this.d.clock.now() };
    await this.d.repos.courts.insertCourtroom(room);
    return room;
  }

  /** Refuses (404, 409) a terminal that could not be registered now. */
  async checkNewTerminal(input: NewTerminal): Promise<void> {
    if (!(await this.d.repos.courts.findCourt(input.courtId)))
      throw new NotFoundError(`court ${input.courtId} does not exist`);
    if (await this.d.repos.terminals.find(input.id)) throw new ConflictError(`terminal ${input.id} exists`);
  }

  /** Registers a terminal and returns its token (shown once). Called on approval only. */
  async registerTerminal(input: NewTerminal): Promise<{ id: string; token: string }> {
    await this.checkNewTerminal(input);
    const token = crypto.randomBytes(24).toString('base64url');
    await this.d.repos.terminals.insert({
      id: input.id,
      court_id: input.courtId,
      name: input.name,
      token_hash: hashTerminalToken(token),
      created_at: this.d.clock.now(),
      revoked_at: null,
    });
    return { id: input.id, token };
  }

  /** Refuses (404, 409) a revocation that could not be made now. */
  async checkRevokeTerminal(id: string): Promise<void> {
    const terminal = await this.d.repos.terminals.find(id);
    if (!terminal) throw new NotFoundError(`terminal ${id} does not exist`);
    if (terminal.revoked_at !== null) throw new ConflictError(`terminal ${id} is revoked already`);
  }

  /** Revokes a terminal: its token stops counting as on site. Called on approval only. */
  async revokeTerminal(id: string): Promise<{ id: string; revoked: true }> {
    await this.checkRevokeTerminal(id);
    if (!(await this.d.repos.terminals.revoke(id, this.d.clock.now())))
      throw new ConflictError(`terminal ${id} is revoked already`);
    return { id, revoked: true };
  }
}
