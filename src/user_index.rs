//! Sessions by user: "your devices", log out everywhere, and the
//! `max_sessions_per_user` limit.
//!
//! The storage keeps a (user, id) index in the same transactions as the
//! sessions, so these never scan all sessions: they read one user's ids.

use crate::clock::Timestamp;
use crate::error::{EndReason, Result};
use crate::record::Record;
use crate::storage::{ReadView, WriteView};
use crate::store::Inner;
use crate::token::SessionId;

/// A live session found through the user index.
pub(crate) struct LiveEntry {
    pub(crate) id: SessionId,
    pub(crate) record: Record,
    pub(crate) last_access: Timestamp,
    pub(crate) expires_at: Timestamp,
}

/// The live sessions of `user`.
pub(crate) fn live_sessions(
    inner: &Inner,
    view: &dyn ReadView,
    user: &str,
    now: Timestamp,
) -> Result<Vec<LiveEntry>> {
    let mut live = Vec::new();
    for id in view.user_sessions(user)? {
        let Some(record) = view.get(&id)? else {
            continue;
        };
        if let Record::Live(session) = &record {
            if session.user.as_deref() != Some(user) {
                // A damaged index entry: never hand out another user's session.
                continue;
            }
            let (last_access, expires_at) = inner.effective(&id, session);
            if expires_at > now {
                live.push(LiveEntry {
                    id,
                    record: record.clone(),
                    last_access,
                    expires_at,
                });
            }
        }
    }
    Ok(live)
}

/// Evicts the least recently used sessions of `user` beyond
/// `max_sessions_per_user`, never `keep` (the session being created or
/// logged in).
pub(crate) fn enforce_limit(
    inner: &Inner,
    view: &mut dyn WriteView,
    user: &str,
    keep: &SessionId,
    now: Timestamp,
) -> Result<()> {
    let Some(max) = inner.config.max_sessions_per_user else {
        return Ok(());
    };
    let mut others: Vec<(Timestamp, SessionId)> = live_sessions(inner, view, user, now)?
        .into_iter()
        .filter(|entry| entry.id != *keep)
        .map(|entry| (entry.last_access, entry.id))
        .collect();
    let allowed_others = max.saturating_sub(1);
    if others.len() <= allowed_others {
        return Ok(());
    }
    others.sort();
    let excess = others.len() - allowed_others;
    for (_, id) in others.into_iter().take(excess) {
        inner.end_in(view, id, EndReason::Evicted, now)?;
    }
    Ok(())
}
