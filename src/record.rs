//! What the store keeps per session id: a live session, or the small record
//! of why a session ended.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::EndReason;
use crate::lifetime::Lifetime;
use crate::session::Meta;
use crate::value::Data;

/// A live session as stored. Never holds the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LiveRecord {
    pub(crate) user: Option<Arc<str>>,
    pub(crate) data: Arc<Data>,
    pub(crate) flash: Data,
    pub(crate) created_at: Timestamp,
    pub(crate) last_access: Timestamp,
    pub(crate) last_update: Timestamp,
    pub(crate) remember: bool,
    pub(crate) lifetime: Option<Lifetime>,
    pub(crate) meta: Arc<Meta>,
    pub(crate) version: u64,
    /// Unused, always zeros: the CSRF secret is derived from the token now
    /// (see `csrf.rs`), so that the file holds nothing that passes a check.
    /// Kept only for the encoded layout; to be dropped at the next format bump.
    pub(crate) csrf_secret: [u8; 32],
    /// When the session expires as of this write; the expiry index holds it.
    pub(crate) expires_at: Timestamp,
    /// Generation of the session's token pair (0: none issued yet).
    pub(crate) pair_gen: u64,
    /// SHA-256 of the session's current refresh token, if a pair was issued.
    pub(crate) refresh_key: Option<[u8; 32]>,
}

/// One entry of the sessions table. Cheap to clone: a live session is
/// shared, not copied, by the cache and every `Session` read from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Record {
    Live(Arc<LiveRecord>),
    /// The session was ended on purpose; kept until `until` (when it would
    /// have expired) so that `get` can say why.
    Ended {
        reason: EndReason,
        ended_at: Timestamp,
        until: Timestamp,
    },
}

impl Record {
    /// The user the record is indexed under (live sessions only).
    pub(crate) fn indexed_user(&self) -> Option<&str> {
        match self {
            Record::Live(live) => live.user.as_deref(),
            Record::Ended { .. } => None,
        }
    }

    /// When the sweeper may remove the record.
    pub(crate) fn sweep_at(&self) -> Timestamp {
        match self {
            Record::Live(live) => live.expires_at,
            Record::Ended { until, .. } => *until,
        }
    }

    pub(crate) fn is_live(&self) -> bool {
        matches!(self, Record::Live(_))
    }
}
