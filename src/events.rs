//! Session events: one hook per store, told of what happens to sessions —
//! the base for audit logs and metrics.
//!
//! [`Config::on_event`](crate::Config::on_event) sets the hook. It is told
//! of every session created, signed in, rotated, ended (with the reason),
//! ended as stolen (theft) or evicted, **after** the change is committed,
//! and never sees a token: events carry session ids (the public SHA-256
//! handles), user ids and reasons only.
//!
//! A slow or failing hook never breaks or stalls the store: events go
//! through a bounded queue ([`EVENT_QUEUE`] events) to one thread, started
//! on the first event, that calls the hook; when the queue is full, events
//! are dropped and counted ([`Stats::events_dropped`](crate::Stats)), and a
//! panic in the hook is caught. Session expiry is not an event (the
//! sweeper removes expired sessions in bulk).
//!
//! ```
//! use std::sync::mpsc;
//! use coatcheck::{Config, NewSession, SessionEvent, Store};
//!
//! let (tx, rx) = mpsc::channel();
//! let tx = std::sync::Mutex::new(tx);
//! let store = Store::in_memory(Config::default().on_event(move |event: &SessionEvent| {
//!     let _ = tx.lock().unwrap().send(event.to_json());
//! }))?;
//! let session = store.create(NewSession::for_user("ada"))?;
//! let line = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
//! assert_eq!(line, format!(r#"{{"id":"{}","kind":"created","user":"ada"}}"#, session.id()));
//! # Ok::<(), coatcheck::Error>(())
//! ```

use std::cell::RefCell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, OnceLock};

use crate::error::EndReason;
use crate::token::SessionId;

/// How many events may wait for the hook; more are dropped (and counted).
pub const EVENT_QUEUE: usize = 4096;

/// Something that happened to a session. Never holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// `create`: a new session (anonymous when `user` is `None`).
    Created {
        /// The new session.
        id: SessionId,
        /// Its user, if it was created signed in.
        user: Option<String>,
    },
    /// `login`: a user was attached to a session. `id` differs from
    /// `previous_id` when the login gave the session a new token.
    Login {
        /// The session after the login.
        id: SessionId,
        /// The session before it.
        previous_id: SessionId,
        /// Who signed in.
        user: String,
    },
    /// `regenerate` (or a password change's renewal): a new token and id.
    Rotated {
        /// The new id.
        id: SessionId,
        /// The id it replaced.
        previous_id: SessionId,
    },
    /// A session ended on purpose (logout, log out everywhere, admin).
    Ended {
        /// The session that ended.
        id: SessionId,
        /// Its user, if any.
        user: Option<String>,
        /// Why it ended.
        reason: EndReason,
    },
    /// A spent refresh token was replayed: the session was ended as stolen.
    Theft {
        /// The session that ended.
        id: SessionId,
        /// Its user, if any.
        user: Option<String>,
    },
    /// The least recently used session of a user over
    /// `max_sessions_per_user` was ended.
    Evicted {
        /// The session that ended.
        id: SessionId,
        /// Its user.
        user: Option<String>,
    },
    /// A session bound to its client (`Config::binding`) was presented by
    /// another client and ended.
    BindingMismatch {
        /// The session that ended.
        id: SessionId,
        /// Its user, if any.
        user: Option<String>,
    },
}

impl SessionEvent {
    /// The event's kind as a lowercase word: `created`, `login`, `rotated`,
    /// `ended`, `theft`, `evicted`, `binding_mismatch`.
    pub fn kind(&self) -> &'static str {
        match self {
            SessionEvent::Created { .. } => "created",
            SessionEvent::Login { .. } => "login",
            SessionEvent::Rotated { .. } => "rotated",
            SessionEvent::Ended { .. } => "ended",
            SessionEvent::Theft { .. } => "theft",
            SessionEvent::Evicted { .. } => "evicted",
            SessionEvent::BindingMismatch { .. } => "binding_mismatch",
        }
    }

    /// The session the event is about.
    pub fn id(&self) -> SessionId {
        match self {
            SessionEvent::Created { id, .. }
            | SessionEvent::Login { id, .. }
            | SessionEvent::Rotated { id, .. }
            | SessionEvent::Ended { id, .. }
            | SessionEvent::Theft { id, .. }
            | SessionEvent::Evicted { id, .. }
            | SessionEvent::BindingMismatch { id, .. } => *id,
        }
    }

    /// The event as one line of JSON (keys in alphabetical order): `kind`, `id`, and where they apply
    /// `previous_id`, `user` and `reason` (what the C and Python faces get).
    pub fn to_json(&self) -> String {
        let mut fields = serde_json::Map::new();
        fields.insert("kind".into(), self.kind().into());
        fields.insert("id".into(), self.id().to_string().into());
        let (previous, user, reason) = match self {
            SessionEvent::Created { user, .. }
            | SessionEvent::Theft { user, .. }
            | SessionEvent::Evicted { user, .. }
            | SessionEvent::BindingMismatch { user, .. } => (None, user.clone(), None),
            SessionEvent::Login {
                previous_id, user, ..
            } => (Some(*previous_id), Some(user.clone()), None),
            SessionEvent::Rotated { previous_id, .. } => (Some(*previous_id), None, None),
            SessionEvent::Ended { user, reason, .. } => (None, user.clone(), Some(*reason)),
        };
        if let Some(previous) = previous {
            fields.insert("previous_id".into(), previous.to_string().into());
        }
        if let Some(user) = user {
            fields.insert("user".into(), user.into());
        }
        if let Some(reason) = reason {
            fields.insert("reason".into(), reason.name().into());
        }
        serde_json::Value::Object(fields).to_string()
    }

    /// The event for a session that ended for `reason`.
    pub(crate) fn end(id: SessionId, user: Option<String>, reason: EndReason) -> SessionEvent {
        match reason {
            EndReason::Theft => SessionEvent::Theft { id, user },
            EndReason::Evicted => SessionEvent::Evicted { id, user },
            EndReason::BindingMismatch => SessionEvent::BindingMismatch { id, user },
            reason => SessionEvent::Ended { id, user, reason },
        }
    }
}

/// The hook of [`Config::on_event`](crate::Config::on_event).
#[derive(Clone)]
pub struct EventHook(pub(crate) Arc<dyn Fn(&SessionEvent) + Send + Sync>);

impl EventHook {
    /// Wraps a function as a hook.
    pub fn new(hook: impl Fn(&SessionEvent) + Send + Sync + 'static) -> EventHook {
        EventHook(Arc::new(hook))
    }
}

impl fmt::Debug for EventHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventHook(..)")
    }
}

/// Hands committed events to the hook's thread.
pub(crate) struct Dispatcher {
    hook: EventHook,
    queue: OnceLock<Option<SyncSender<SessionEvent>>>,
    dropped: AtomicU64,
}

impl Dispatcher {
    pub(crate) fn new(hook: EventHook) -> Dispatcher {
        Dispatcher {
            hook,
            queue: OnceLock::new(),
            dropped: AtomicU64::new(0),
        }
    }

    /// Queues committed events; never blocks.
    pub(crate) fn send(&self, events: Vec<SessionEvent>) {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = sync_channel::<SessionEvent>(EVENT_QUEUE);
            let hook = self.hook.clone();
            std::thread::Builder::new()
                .name("coatcheck-events".into())
                .spawn(move || {
                    // Ends when the store (the sender) is gone.
                    for event in receiver {
                        let _ = catch_unwind(AssertUnwindSafe(|| (hook.0)(&event)));
                    }
                })
                .ok()
                .map(|_| sender)
        });
        for event in events {
            let queued = queue.as_ref().is_some_and(|q| q.try_send(event).is_ok());
            if !queued {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

thread_local! {
    /// The events of the write job running on this thread, when the store
    /// has a hook (jobs run one at a time on the thread that leads a batch).
    static PENDING: RefCell<Option<Vec<SessionEvent>>> = const { RefCell::new(None) };
}

/// Runs a write job, collecting the events it emits.
pub(crate) fn collect<T>(enabled: bool, job: impl FnOnce() -> T) -> (T, Vec<SessionEvent>) {
    if !enabled {
        return (job(), Vec::new());
    }
    let outer = PENDING.with(|p| p.replace(Some(Vec::new())));
    let out = job();
    let events = PENDING.with(|p| p.replace(outer)).unwrap_or_default();
    (out, events)
}

/// Inside a write job: records an event, to be sent once the write commits.
pub(crate) fn emit(event: impl FnOnce() -> SessionEvent) {
    PENDING.with(|p| {
        if let Some(pending) = p.borrow_mut().as_mut() {
            pending.push(event());
        }
    });
}
