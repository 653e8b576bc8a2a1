// Every REPORT_MS this instance takes its snapshot and leaves it in the directory, where the admin
// view of any instance reads it. PostgreSQL is checked on the same beat.
import type { Logger } from '../telemetry/logger.ts'
import type { InstanceDirectory } from './directory.ts'
import type { InstanceSnapshot } from './snapshot.ts'

export const REPORT_MS = 2000
/** An instance not heard from for this long is left out of the view. */
export const FRESH_MS = 3 * REPORT_MS

export function startReporter(opts: {
  directory: InstanceDirectory
  take(): InstanceSnapshot
  /** Resolves when the database answers (rejects or hangs otherwise); none: always up. */
  pingDatabase: (() => Promise<void>) | undefined
  log: Logger
}) {
  let isDatabaseUp = true
  let isReporting = false
  async function report(): Promise<void> {
    if (isReporting) return
    isReporting = true
    try {
      const ping = opts.pingDatabase
      isDatabaseUp = ping
        ? await Promise.race([
            ping().then(() => true),
            Bun.sleep(REPORT_MS / 2).then(() => false),
          ]).catch(() => false)
        : true
      await opts.directory.publish(opts.take())
    } catch (err) {
      opts.log.debug('admin snapshot not published', { err })
    } finally {
      isReporting = false
    }
  }
  const timer = setInterval(() => void report(), REPORT_MS)
  timer.unref?.()
  void report()
  return {
    isDatabaseUp: () => isDatabaseUp,
    /** Publishes a snapshot now (after a disconnect, say, so the view changes at once). */
    reportNow: report,
    stop: () => clearInterval(timer),
  }
}
