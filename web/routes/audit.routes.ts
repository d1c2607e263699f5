/** The auditor's view of the audit log: filters, and a CSV export. Reading it is itself audited. */
import { Router } from 'express';
import { z } from 'zod';
import { isoTime, lineSchema } from '../../core/index.ts';
import type { AuditEntry } from '../../storage/index.ts';
import type { AuditReadsService } from '../../court/index.ts';
import { originOf } from '../middlewares/origin.ts';
import { personOf } from '../middlewares/person.ts';
import { parseOrThrow } from '../middlewares/validate.ts';

export const auditQuerySchema = z.object({
  hearingId: z.string().max(64).optional(),
  actor: z.string().max(64).optional(),
  caseNumber: lineSchema(64).optional(),
  verdict: z.enum(['allow', 'refuse', 'info']).optional(),
  from: z.iso.datetime({ offset: false }).optional(),
  to: z.iso.datetime({ offset: false }).optional(),
  format: z.enum(['json', 'csv']).default('json'),
  limit: z.coerce.number().int().min(1).max(100_000).default(5000),
  /** Only entries older than this `seq`: the `nextBefore` of the previous page. */
  before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
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

export function auditRoutes(d: { auditReads: AuditReadsService }): Router {
  const r = Router();
  r.get('/api/audit', async (req, res) => {
    const q = parseOrThrow(auditQuerySchema, req.query, 'audit filter');
    const page = await d.auditReads.read({
      person: personOf(req),
      origin: originOf(req),
      query: {
        hearingId: q.hearingId,
        actor: q.actor,
        verdict: q.verdict,
        caseNumber: q.caseNumber,
        fromMs: q.from === undefined ? undefined : Date.parse(q.from),
        toMs: q.to === undefined ? undefined : Date.parse(q.to),
        beforeSeq: q.before,
        limit: q.limit,
      },
    });
    const entries = page.entries.map(view);
    if (q.format === 'csv') {
      const lines = [COLUMNS.join(','), ...entries.map((e) => COLUMNS.map((c) => csvCell(e[c])).join(','))];
      res
        .type('text/csv; charset=utf-8')
        .set('Content-Disposition', 'attachment; filename="hattama-audit.csv"')
        .send(`${lines.join('\r\n')}\r\n`);
      return;
    }
    res.json({ entries, nextBefore: page.nextBeforeSeq });
  });
  return r;
}
