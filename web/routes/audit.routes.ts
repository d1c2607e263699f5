/** The auditor's view of the audit log: filters, and a CSV export. Reading it is itself audited. */
import { Router } from 'express';
import { z } from 'zod';
import { isoTime } from '../../core/index.ts';
import type { AuditEntry, Repositories } from '../../storage/index.ts';
import type { AccessService } from '../../court/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { parseOrThrow } from '../middlewares/validate.ts';

export const auditQuerySchema = z.object({
  hearingId: z.string().max(64).optional(),
  actor: z.string().max(64).optional(),
  verdict: z.enum(['allow', 'refuse', 'info']).optional(),
  from: z.iso.datetime({ offset: false }).optional(),
  to: z.iso.datetime({ offset: false }).optional(),
  format: z.enum(['json', 'csv']).default('json'),
  limit: z.coerce.number().int().min(1).max(100_000).default(5000),
});

const COLUMNS = [
  'seq',
  'at',
  'actor',
  'role',
  'action',
  'hearingId',
  'target',
  'address',
  'verdict',
  'reason',
  'hash',
] as const;

function view(e: AuditEntry) {
  return {
    seq: e.seq,
    at: isoTime(e.at_ms),
    actor: e.actor,
    role: e.role,
    action: e.action,
    hearingId: e.hearing_id,
    target: e.target,
    address: e.address,
    verdict: e.verdict,
    reason: e.reason,
    hash: e.hash,
  };
}

/** RFC 4180 quoting; a leading = + - @ is neutralised so spreadsheets do not run it as a formula. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function auditRoutes(d: { repos: Repositories; access: AccessService }): Router {
  const r = Router();
  r.get('/api/audit', async (req, res) => {
    const q = parseOrThrow(auditQuerySchema, req.query, 'audit filter');
    await d.access.require({
      user: personOf(req),
      hearing: null,
      action: 'audit.read',
      origin: originOf(req),
      target: JSON.stringify(q),
    });
    const from = q.from ? Date.parse(q.from) : -Infinity;
    const to = q.to ? Date.parse(q.to) : Infinity;
    const entries = (
      await d.repos.auditLog.list({ hearingId: q.hearingId, actor: q.actor, verdict: q.verdict })
    )
      .filter((e) => e.at_ms >= from && e.at_ms < to)
      .slice(-q.limit)
      .map(view);
    if (q.format === 'csv') {
      const lines = [COLUMNS.join(','), ...entries.map((e) => COLUMNS.map((c) => csvCell(e[c])).join(','))];
      res
        .type('text/csv; charset=utf-8')
        .set('Content-Disposition', 'attachment; filename="hattama-audit.csv"')
        .send(`${lines.join('\r\n')}\r\n`);
      return;
    }
    res.json({ entries });
  });
  return r;
}
