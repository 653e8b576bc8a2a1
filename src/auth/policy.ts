// Who may see and change which memory. Pure functions; the service applies them inside its transaction.
import type { Principal } from './principal.ts'

interface Owned {
  tenantId: string
  ownerId: string
  visibility: 'private' | 'team'
}

/** `team` memories are visible to every user of the tenant; `private` ones to their owner only. */
export function canSee(p: Principal, m: Owned): boolean {
  return m.tenantId === p.tenantId && (m.visibility === 'team' || m.ownerId === p.userId)
}

/** Whoever can see a memory may edit its title, content, tags and metadata. */
export const canEdit = canSee

/** Deleting a memory or changing its visibility is the owner's alone. */
export function isOwner(p: Principal, m: Owned): boolean {
  return m.tenantId === p.tenantId && m.ownerId === p.userId
}
