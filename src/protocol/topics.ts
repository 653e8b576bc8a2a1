// Bun pub/sub topic names. "/" cannot occur in tenant or user ids, so names never collide.

/** Team-visible memory events of a tenant. */
export const teamTopic = (tenantId: string) => `m/${tenantId}`
/** Memory events only this user may see (their private memories, visibility transitions). */
export const userTopic = (tenantId: string, userId: string) => `m/${tenantId}/${userId}`
/** Presence of a tenant. */
export const presenceTopic = (tenantId: string) => `p/${tenantId}`
