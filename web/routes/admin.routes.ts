/**
 * Access data: courts, courtrooms, users, cases with their participants and the
 * assignments of higher-court judges, on-site terminals. Changes are access-data changes
 * and go to the audit log.
 */
import crypto from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError, idSchema, isoTime, lineSchema, type Clock } from '../../core/index.ts';
import type { AuditLog, CaseParticipant, Repositories } from '../../storage/index.ts';
import { UserAccounts } from '../auth/index.ts';
import { hashTerminalToken, type AccessService } from '../../court/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { parseOrThrow } from '../middlewares/validate.ts';

// Strict: an unknown field is refused, not silently dropped (see createHearingSchema).
export const courtSchema = z.strictObject({ id: idSchema, name: lineSchema(200) });
export const roomSchema = z.strictObject({ id: idSchema, courtId: idSchema, name: lineSchema(200) });
export const userSchema = z.strictObject({
  login: lineSchema(64),
  displayName: lineSchema(200).optional(),
  role: z.string().min(1).max(40),
  password: z.string().min(1).max(1024).optional(),
  locale: z.enum(['ru', 'kk', 'en']).optional(),
  courtIds: z.array(idSchema).max(50).optional(),
});
export const caseSchema = z.strictObject({
  id: idSchema.optional(),
  number: lineSchema(64),
  category: lineSchema(64).default('civil'),
  courtId: idSchema,
});
export const participantSchema = z.strictObject({
  name: lineSchema(200),
  capacity: z.enum(['party', 'representative']),
  userLogin: lineSchema(64).optional(),
});
export const assignmentSchema = z
  .strictObject({
    userLogin: lineSchema(64),
    validFrom: z.iso.datetime({ offset: false }),
    validUntil: z.iso.datetime({ offset: false }).optional(),
  })
  .refine((a) => !a.validUntil || Date.parse(a.validUntil) > Date.parse(a.validFrom), {
    message: 'validUntil must be after validFrom',
    path: ['validUntil'],
  });
export const terminalSchema = z.strictObject({ id: idSchema, courtId: idSchema, name: lineSchema(200) });

/** A participant as the API shows it; which account is linked is not shown, only whether one is. */
export function participantView(p: CaseParticipant) {
  return { id: p.id, name: p.name, capacity: p.capacity, hasAccount: p.user_id !== null };
}

export function adminRoutes(d: {
  repos: Repositories;
  access: AccessService;
  audit: AuditLog;
  clock: Clock;
}): Router {
  const r = Router();
  const manage = async (req: Request, target: string) => {
    await d.access.require({
      user: personOf(req),
      hearing: null,
      action: 'admin.manage',
      origin: originOf(req),
      target,
      audit: true,
    });
  };
  /**
   * Cases and participants are the secretary's work as much as the administrator's; who
   * may do it, and see a case's participants, is the policy's (`decideCase`).
   */
  const onCase = async (
    req: Request,
    theCase: { id: string; court_id: string },
    action: 'case.read' | 'case.prepare',
    target?: string,
  ) => {
    await d.access.requireCase({ user: personOf(req), theCase, action, origin: originOf(req), target });
  };
  const accounts = (req: Request) =>
    new UserAccounts({
      repos: d.repos,
      clock: d.clock,
      audit: d.audit,
      actor: personOf(req).login,
    });

  r.get('/api/courtrooms', async (_req, res) => {
    const rooms = await d.repos.courts.listCourtrooms();
    res.json({ courtrooms: rooms.map((c) => ({ id: c.id, name: c.name, courtId: c.court_id })) });
  });
  r.post('/api/courtrooms', async (req, res) => {
    const input = parseOrThrow(roomSchema, req.body, 'courtroom');
    await manage(req, `courtroom ${input.id}`);
    if (!(await d.repos.courts.findCourt(input.courtId)))
      throw new NotFoundError(`court ${input.courtId} does not exist`);
    if (await d.repos.courts.findCourtroom(input.id)) throw new ConflictError(`courtroom ${input.id} exists`);
    await d.repos.courts.insertCourtroom({
      id: input.id,
      court_id: input.courtId,
      name: input.name,
      created_at: d.clock.now(),
    });
    res.status(201).json(input);
  });
  r.get('/api/admin/courts', async (_req, res) => {
    res.json({ courts: (await d.repos.courts.listCourts()).map((c) => ({ id: c.id, name: c.name })) });
  });
  r.post('/api/admin/courts', async (req, res) => {
    const input = parseOrThrow(courtSchema, req.body, 'court');
    await manage(req, `court ${input.id}`);
    if (await d.repos.courts.findCourt(input.id)) throw new ConflictError(`court ${input.id} exists`);
    await d.repos.courts.insertCourt({ id: input.id, name: input.name, created_at: d.clock.now() });
    res.status(201).json(input);
  });

  r.get('/api/admin/users', async (req, res) => {
    await manage(req, 'users');
    res.json({ users: await accounts(req).list() });
  });
  r.post('/api/admin/users', async (req, res) => {
    const input = parseOrThrow(userSchema, req.body, 'user');
    await manage(req, `user ${input.login}`);
    const out = await accounts(req).create(input);
    res
      .status(201)
      .json({ user: out.user, ...(out.generatedPassword ? { password: out.generatedPassword } : {}) });
  });
  r.post('/api/admin/users/:login/disable', async (req, res) => {
    const { login } = parseOrThrow(z.object({ login: z.string().min(1).max(64) }), req.params, 'login');
    await manage(req, `user ${login}`);
    res.json(await accounts(req).disable(login));
  });

  r.get('/api/cases', async (req, res) => {
    // Each person sees the cases the policy lets them read.
    const all = await d.repos.cases.listCases();
    const cases = await d.access.readableCases(personOf(req), all);
    res.json({
      cases: cases.map((c) => ({ id: c.id, number: c.number, category: c.category, courtId: c.court_id })),
    });
  });
  r.post('/api/cases', async (req, res) => {
    const input = parseOrThrow(caseSchema, req.body, 'case');
    await onCase(
      req,
      { id: input.id ?? 'new', court_id: input.courtId },
      'case.prepare',
      `case ${input.number}`,
    );
    if (!(await d.repos.courts.findCourt(input.courtId)))
      throw new NotFoundError(`court ${input.courtId} does not exist`);
    if (await d.repos.cases.findCaseByNumber(input.courtId, input.number))
      throw new ConflictError(`case ${input.number} exists`);
    if (input.id && (await d.repos.cases.findCase(input.id)))
      throw new ConflictError(`case ${input.id} exists`);
    const id = input.id ?? `c-${crypto.randomUUID().slice(0, 13)}`;
    await d.repos.cases.insertCase({
      id,
      number: input.number,
      category: input.category,
      court_id: input.courtId,
      created_at: d.clock.now(),
    });
    res.status(201).json({ id, number: input.number, category: input.category, courtId: input.courtId });
  });
  r.get('/api/cases/:id/participants', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'case id');
    const theCase = await d.repos.cases.findCase(id);
    if (!theCase) throw new NotFoundError(`case ${id} does not exist`);
    await onCase(req, theCase, 'case.read');
    res.json({
      caseId: id,
      participants: (await d.repos.cases.listParticipants(id)).map(participantView),
    });
  });
  r.post('/api/cases/:id/participants', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'case id');
    const input = parseOrThrow(participantSchema, req.body, 'participant');
    const theCase = await d.repos.cases.findCase(id);
    if (!theCase) throw new NotFoundError(`case ${id} does not exist`);
    await onCase(req, theCase, 'case.prepare', `${id} ${input.capacity} ${input.userLogin ?? input.name}`);
    const user = input.userLogin ? await d.repos.users.findByLogin(input.userLogin) : undefined;
    if (input.userLogin && !user) throw new NotFoundError(`no user ${input.userLogin}`);
    const participant = {
      id: crypto.randomUUID(),
      case_id: id,
      user_id: user?.id ?? null,
      name: input.name,
      capacity: input.capacity,
      created_at: d.clock.now(),
    };
    if (!(await d.repos.cases.insertParticipant(participant)))
      throw new ConflictError('this participant is already on the case');
    await d.audit.append({
      actor: personOf(req).login,
      role: personOf(req).role,
      action: 'case.participant.add',
      target: `${id} ${input.capacity} ${input.userLogin ?? input.name}`,
      verdict: 'info',
    });
    res.status(201).json({ id: participant.id });
  });
  r.post('/api/cases/:id/assignments', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'case id');
    const input = parseOrThrow(assignmentSchema, req.body, 'assignment');
    await manage(req, `assignment ${id} ${input.userLogin}`);
    if (!(await d.repos.cases.findCase(id))) throw new NotFoundError(`case ${id} does not exist`);
    const user = await d.repos.users.findByLogin(input.userLogin);
    if (!user) throw new NotFoundError(`no user ${input.userLogin}`);
    const assignment = {
      id: crypto.randomUUID(),
      case_id: id,
      user_id: user.id,
      valid_from_ms: Date.parse(input.validFrom),
      valid_until_ms: input.validUntil ? Date.parse(input.validUntil) : null,
      created_at: d.clock.now(),
    };
    await d.repos.cases.insertAssignment(assignment);
    res.status(201).json({ id: assignment.id, validFrom: isoTime(assignment.valid_from_ms) });
  });

  r.post('/api/admin/terminals', async (req, res) => {
    const input = parseOrThrow(terminalSchema, req.body, 'terminal');
    await manage(req, `terminal ${input.id}`);
    if (!(await d.repos.courts.findCourt(input.courtId)))
      throw new NotFoundError(`court ${input.courtId} does not exist`);
    if (await d.repos.terminals.find(input.id)) throw new ConflictError(`terminal ${input.id} exists`);
    const token = crypto.randomBytes(24).toString('base64url');
    await d.repos.terminals.insert({
      id: input.id,
      court_id: input.courtId,
      name: input.name,
      token_hash: hashTerminalToken(token),
      created_at: d.clock.now(),
      revoked_at: null,
    });
    res.status(201).json({ id: input.id, token });
  });
  return r;
}
