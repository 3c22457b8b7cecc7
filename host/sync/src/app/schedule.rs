//! Schedules kept by `connector-agent run`.

use super::*;

impl App {
    /// Sets (or clears) the connection's sync schedule, kept by `connector-agent run`.
    pub fn set_schedule(&self, id: &str, every: Option<std::time::Duration>) -> Result<()> {
        let every = every.map(|d| d.as_secs().max(1));
        self.home.modify(id, |c| c.sync_every = every)?;
        Ok(())
    }

    /// Scheduled connections that are ready and due at `now`: never synced, or the last sync
    /// attempt (successful or not, so a failing API is not hammered) started at least their
    /// interval ago.
    pub fn due(&self, now: SystemTime) -> Result<Vec<Connection>> {
        let mut out = Vec::new();
        for c in self.home.list()? {
            let Some(every) = c.sync_every else {
                continue;
            };
            if c.phase != Phase::Ready {
                continue;
            }
            let last_attempt = self.home.sync_runs(&c.id, 1)?.into_iter().next();
            let last = last_attempt
                .map(|r| r.started_at)
                .or_else(|| c.last_sync.clone())
                .and_then(|t| humantime::parse_rfc3339_weak(&t).ok());
            let due = match last {
                None => true,
                Some(last) => now.duration_since(last).unwrap_or_default().as_secs() >= every,
            };
            if due {
                out.push(c);
            }
        }
        Ok(out)
    }
}
