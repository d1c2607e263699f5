/** Recorder nodes known to the hub. I/O only. */
import type { CatalogDb } from '../catalog.ts';
import type { RecorderNode } from '../schema.ts';

export class RecorderNodesRepository {
  constructor(private readonly db: CatalogDb) {}

  async insert(node: RecorderNode): Promise<void> {
    await this.db.insertInto('recorder_nodes').values(node).execute();
  }

  async find(id: string): Promise<RecorderNode | undefined> {
    return this.db.selectFrom('recorder_nodes').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(): Promise<RecorderNode[]> {
    return this.db.selectFrom('recorder_nodes').selectAll().orderBy('id').execute();
  }

  async setTokenHash(id: string, tokenHash: string | null): Promise<boolean> {
    const r = await this.db
      .updateTable('recorder_nodes')
      .set({ token_hash: tokenHash, revoked_at: null })
      .where('id', '=', id)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('recorder_nodes')
      .set({ token_hash: null, revoked_at: at })
      .where('id', '=', id)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.updateTable('recorder_nodes').set({ last_seen_at: at }).where('id', '=', id).execute();
  }
}
