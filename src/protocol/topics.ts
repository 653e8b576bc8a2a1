// Bun pub/sub topic names. "/" cannot occur in tenant or user ids, so names never collide.

/** Team-visible memory events of a tenant. */
export const teamTopic = (tenantId: string) => `m/${tenantId}`
/** Presence of a tenant. */
export const presenceTopic = (tenantId: string) => `p/${tenantId}`
