// The presence seam: who is online in a tenant, across instances. Two implementations: local and Redis.

export interface PresenceUser {
  tenantId: string
  userId: string
  name?: string
}

/**
 * A user is online while at least one instance holds a live entry for them. Entries live until a
 * deadline: instances refresh their users' entries, so a dead instance's users expire by themselves
 * (no zombies); a user whose last socket closed keeps a short grace, so a quick reconnect — to any
 * instance — neither leaves nor joins again.
 */
export interface PresenceStore {
  /** This instance now has a socket of the user. Resolves true if the user was offline everywhere. */
  connect(user: PresenceUser, liveUntil: number): Promise<boolean>
  /** This instance's last socket of the user closed: its entry now lives only until `graceUntil`. */
  disconnect(user: PresenceUser, graceUntil: number): Promise<void>
  /** Extends this instance's entries for users it still has sockets of. */
  refresh(users: PresenceUser[], liveUntil: number): Promise<void>
  /**
   * Removes entries past their deadline in these tenants; returns the users who thereby went offline
   * everywhere. Each such user is returned to exactly one caller, so "left" is announced once.
   */
  sweep(tenantIds: string[], now: number): Promise<PresenceUser[]>
  /** Users online in the tenant now. */
  list(tenantId: string, now: number): Promise<{ userId: string; name?: string }[]>
}
