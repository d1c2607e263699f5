/**
 * What the court's hearing service needs of the courtroom recorders: which connected node
 * records a courtroom, and a command sent to it that resolves once the node applied it.
 * The web adapter's recorder gateway (the ws endpoint) implements it.
 */
export interface RecorderCommands {
  nodeForCourtroom(courtroomId: string): string | null;
  command(
    nodeId: string,
    command: { action: 'start' | 'pause' | 'resume' | 'stop'; hearingId: string; segmentSeconds?: number },
  ): Promise<void>;
}
