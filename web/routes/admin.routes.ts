/**
 * Access data: courts, courtrooms, users, cases with their participants and the
 * assignments of higher-court judges, on-site terminals, and the changes that wait for a
 * second administrator (GET /api/admin/approvals; docs/decisions/0018-separation-of-duties.md).
 * Thin: validate, one call into a court service (or UserAccounts), answer. Changes are
 * access-data changes and go to the audit log.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { ValidationError, idSchema, lineSchema } from '../../core/index.ts';
import type { CaseParticipant } from '../../storage/index.ts';
import {
  needsApproval,
  type ApprovalView,
  type ApprovalsService,
  type CasesService,
  type CourtsService,
  type Person,
  type PasswordOutcome,
  type UserAccounts,
  type UserView,
} from '../../court/index.ts';
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
export const roleSchema = z.strictObject({ role: z.string().min(1).max(40) });
export const approvalsQuery = z.strictObject({
  state: z.enum(['pending', 'approved', 'rejected']).optional(),
});
export const loginParam = z.object({ login: z.string().min(1).max(64) });

/** A participant as the API shows it; which account is linked is not shown, only whether one is. */
export function participantView(p: CaseParticipant) {
  return { id: p.id, name: p.name, capacity: p.capacity, hasAccount: p.user_id !== null };
}

export interface AdminRoutesDeps {
  cases: CasesService;
  courts: CourtsService;
  approvals: ApprovalsService;
  /** UserAccounts acting for this person (its changes are audited under their login). */
  accountsFor: (actor: Person) => UserAccounts;
}

/** 202: the change waits for a second administrator. */
const pending = (approval: ApprovalView) => ({ approval });

export function adminRoutes(d: AdminRoutesDeps): Router {
  const r = Router();
  const who = (req: Request) => [personOf(req), originOf(req)] as const;

  r.get('/api/courtrooms', async (_req, res) => {
    const rooms = await d.courts.listCourtrooms();
    res.json({ courtrooms: rooms.map((c) => ({ id: c.id, name: c.name, courtId: c.court_id })) });
  });
  r.post('/api/courtrooms', async (req, res) => {
    const input = parseOrThrow(roomSchema, req.body, 'courtroom');
    await d.courts.createCourtroom(...who(req), input);
    res.status(201).json(input);
  });
  r.get('/api/admin/courts', async (_req, res) => {
    res.json({ courts: (await d.courts.listCourts()).map((c) => ({ id: c.id, name: c.name })) });
  });
  r.post('/api/admin/courts', async (req, res) => {
    const input = parseOrThrow(courtSchema, req.body, 'court');
    await d.courts.createCourt(...who(req), input);
    res.status(201).json(input);
  });

  r.get('/api/admin/users', async (req, res) => {
    await d.courts.requireAdministrator(...who(req), 'users');
    res.json({ users: await d.accountsFor(personOf(req)).list() });
  });
  r.post('/api/admin/users', async (req, res) => {
    const input = parseOrThrow(userSchema, req.body, 'user');
    if (needsApproval(input.role)) {
      if (input.password !== undefined) {
        // Who asks is decided (and a refusal audited) before what they sent is judged.
        await d.courts.requireAdministrator(...who(req), `user ${input.login}`);
        throw new ValidationError(
          `the password of a new ${input.role} account is generated when a second administrator approves it, and shown to them once; leave "password" out`,
          { field: 'password' },
        );
      }
      const { password: _none, ...change } = input;
      const approval = await d.approvals.propose(...who(req), {
        kind: 'user.create',
        ...change,
        role: input.role as Person['role'],
      });
      res.status(202).json(pending(approval));
      return;
    }
    await d.courts.requireAdministrator(...who(req), `user ${input.login}`);
    const out: PasswordOutcome = await d.accountsFor(personOf(req)).create(input);
    res
      .status(201)
      .json({ user: out.user, ...(out.generatedPassword ? { password: out.generatedPassword } : {}) });
  });
  r.put('/api/admin/users/:login/role', async (req, res) => {
    const { login } = parseOrThrow(loginParam, req.params, 'login');
    const { role } = parseOrThrow(roleSchema, req.body, 'role');
    if (needsApproval(role)) {
      const approval = await d.approvals.propose(...who(req), {
        kind: 'user.role',
        login,
        role: role as Person['role'],
      });
      res.status(202).json(pending(approval));
      return;
    }
    await d.courts.requireAdministrator(...who(req), `user ${login} role ${role}`);
    const user: UserView = await d.accountsFor(personOf(req)).setRole(login, role);
    res.json({ user });
  });
  r.post('/api/admin/users/:login/disable', async (req, res) => {
    const { login } = parseOrThrow(loginParam, req.params, 'login');
    await d.courts.requireAdministrator(...who(req), `user ${login}`);
    res.json(await d.accountsFor(personOf(req)).disable(login));
  });

  r.get('/api/cases', async (req, res) => {
    // Each person sees the cases the policy lets them read.
    const cases = await d.cases.listReadable(personOf(req));
    res.json({
      cases: cases.map((c) => ({ id: c.id, number: c.number, category: c.category, courtId: c.court_id })),
    });
  });
  r.post('/api/cases', async (req, res) => {
    const input = parseOrThrow(caseSchema, req.body, 'case');
    const c = await d.cases.create(...who(req), input);
    res.status(201).json({ id: c.id, number: c.number, category: c.category, courtId: c.court_id });
  });
  r.get('/api/cases/:id/participants', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'case id');
    const participants = await d.cases.participants(...who(req), id);
    res.json({ caseId: id, participants: participants.map(participantView) });
  });
  r.post('/api/cases/:id/participants', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'case id');
    const input = parseOrThrow(participantSchema, req.body, 'participant');
    const participant = await d.cases.addParticipant(...who(req), id, input);
    res.status(201).json({ id: participant.id });
  });
  r.post('/api/cases/:id/assignments', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'case id');
    const input = parseOrThrow(assignmentSchema, req.body, 'assignment');
    const approval = await d.approvals.propose(...who(req), {
      kind: 'case.assign',
      caseId: id,
      userLogin: input.userLogin,
      validFromMs: Date.parse(input.validFrom),
      validUntilMs: input.validUntil ? Date.parse(input.validUntil) : null,
    });
    res.status(202).json(pending(approval));
  });

  r.post('/api/admin/terminals', async (req, res) => {
    const input = parseOrThrow(terminalSchema, req.body, 'terminal');
    const approval = await d.approvals.propose(...who(req), { kind: 'terminal.register', ...input });
    res.status(202).json(pending(approval));
  });
  r.post('/api/admin/terminals/:id/revoke', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'terminal id');
    const approval = await d.approvals.propose(...who(req), { kind: 'terminal.revoke', id });
    res.status(202).json(pending(approval));
  });

  r.get('/api/admin/approvals', async (req, res) => {
    const { state } = parseOrThrow(approvalsQuery, req.query, 'query');
    res.json({ approvals: await d.approvals.list(...who(req), state) });
  });
  r.post('/api/admin/approvals/:id/approve', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'approval id');
    res.json(await d.approvals.approve(...who(req), id));
  });
  r.post('/api/admin/approvals/:id/reject', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: idSchema }), req.params, 'approval id');
    res.json({ approval: await d.approvals.reject(...who(req), id) });
  });
  return r;
}
