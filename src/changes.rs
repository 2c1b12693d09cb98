//! A batch of changes to one session, applied together: what a web
//! framework's session does at the end of a request (several keys set or
//! removed, a flash message, a new expiry) in one atomic call and one commit.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::lifetime::Lifetime;
use crate::record::LiveRecord;
use crate::store::validate_key;
use crate::store::Outcome;
use crate::value::Value;

/// The fields of a batch's JSON form, in the order they apply.
const FIELDS: [&str; 6] = ["clear", "set", "remove", "flash", "lifetime", "remember"];

/// One change of the session's data, in the order it was asked for.
#[derive(Clone, PartialEq)]
pub(crate) enum DataChange {
    Set(String, Value),
    Remove(String),
    Clear,
}

/// Changes to apply to one session at once with [`Store::apply`](crate::Store::apply).
///
/// Data changes (`set`, `remove`) apply in the order they were added, so a
/// later change of a key wins; flash values are added after them. Applying
/// a batch is one write and one commit, and it is all or nothing: every key
/// and value is checked before anything is written, and a batch that would
/// make the session too large changes nothing.
///
/// Like [`Store::set`](crate::Store::set), a batch changes only the keys it
/// names: keys another request changed meanwhile keep their values.
///
/// ```
/// # use coatcheck::{Changes, Config, NewSession, Store, Value};
/// # let store = Store::in_memory(Config::default())?;
/// # let token = store.create(NewSession::default().insert("step", 1))?.token().unwrap().to_owned();
/// store.apply(
///     &token,
///     Changes::new()
///         .set("theme", "dark")
///         .set("lang", "fr")
///         .remove("step")
///         .flash("notice", "Saved")
///         .remember(true),
/// )?;
/// let session = store.peek(&token)?;
/// assert_eq!(session.get("theme"), Some(&Value::from("dark")));
/// assert_eq!(session.get("step"), None);
/// assert!(session.remember());
/// assert_eq!(store.take_flash(&token)?.len(), 1);
/// # Ok::<(), coatcheck::Error>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Changes {
    pub(crate) data: Vec<DataChange>,
    pub(crate) flash: Vec<(String, Value)>,
    pub(crate) lifetime: Option<Option<Lifetime>>,
    pub(crate) remember: Option<bool>,
}

impl Changes {
    /// An empty batch: applying it writes nothing.
    pub fn new() -> Changes {
        Changes::default()
    }

    /// Sets `key` to `value`.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<Value>) -> Changes {
        self.data.push(DataChange::Set(key.into(), value.into()));
        self
    }

    /// Removes every key: with the sets after it, the batch replaces the
    /// data (a framework's `session.clear()` followed by new values).
    pub fn clear(mut self) -> Changes {
        self.data.push(DataChange::Clear);
        self
    }

    /// Removes `key` (nothing happens if the session does not hold it).
    pub fn remove(mut self, key: impl Into<String>) -> Changes {
        self.data.push(DataChange::Remove(key.into()));
        self
    }

    /// Adds a flash value, kept until the next [`Store::take_flash`](crate::Store::take_flash).
    pub fn flash(mut self, key: impl Into<String>, value: impl Into<Value>) -> Changes {
        self.flash.push((key.into(), value.into()));
        self
    }

    /// Gives the session its own lifetime; `None` puts it back on the
    /// configured (or remember) lifetime, as [`Store::set_lifetime`](crate::Store::set_lifetime).
    pub fn lifetime(mut self, lifetime: impl Into<Option<Lifetime>>) -> Changes {
        self.lifetime = Some(lifetime.into());
        self
    }

    /// Turns "keep me signed in" on or off, as [`Store::set_remember`](crate::Store::set_remember).
    pub fn remember(mut self, remember: bool) -> Changes {
        self.remember = Some(remember);
        self
    }

    /// A batch from its JSON form, as the C face takes it: an object with
    /// any of `"clear"` (`true`: remove every key first), `"set"` (an object of keys and values), `"remove"` (an array
    /// of keys), `"flash"` (an object), `"lifetime"` (`{"idle_ms": n,
    /// "absolute_ms": n}`, or `null` for the configured lifetime) and
    /// `"remember"` (a boolean). Values take the JSON form of
    /// [`Value::from_json`]; a clear applies first, then sets, then removes. Anything else (an
    /// unknown field, a wrong type) is `InvalidArgument`.
    ///
    /// ```
    /// # use coatcheck::Changes;
    /// let batch = Changes::from_json_str(
    ///     r#"{"set": {"theme": "dark"}, "remove": ["step"], "lifetime": {"idle_ms": 60000, "absolute_ms": 600000}}"#,
    /// )?;
    /// assert!(!batch.is_empty());
    /// assert!(Changes::from_json_str(r#"{"sets": {}}"#).is_err());
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn from_json_str(text: &str) -> Result<Changes> {
        use serde_json::Value as J;
        let bad = |what: &str| Error::invalid_argument(format!("changes: {what}"));
        let json: J = serde_json::from_str(text)
            .map_err(|e| Error::invalid_argument(format!("changes: invalid JSON: {e}")))?;
        let J::Object(fields) = json else {
            return Err(bad("expected a JSON object"));
        };
        let mut changes = Changes::new();
        for name in FIELDS {
            let Some(field) = fields.get(name) else {
                continue;
            };
            match (name, field) {
                ("clear", J::Bool(clear)) => {
                    if *clear {
                        changes = changes.clear();
                    }
                }
                ("set", J::Object(map)) => {
                    for (key, value) in map {
                        changes = changes.set(key.clone(), Value::from_json(value)?);
                    }
                }
                ("remove", J::Array(keys)) => {
                    for key in keys {
                        let J::String(key) = key else {
                            return Err(bad("\"remove\" must be an array of strings"));
                        };
                        changes = changes.remove(key.clone());
                    }
                }
                ("flash", J::Object(map)) => {
                    for (key, value) in map {
                        changes = changes.flash(key.clone(), Value::from_json(value)?);
                    }
                }
                ("lifetime", J::Null) => changes = changes.lifetime(None),
                ("lifetime", J::Object(l)) => {
                    let ms = |part: &str| {
                        l.get(part).and_then(J::as_u64).ok_or_else(|| {
                            bad("\"lifetime\" needs \"idle_ms\" and \"absolute_ms\" (whole milliseconds)")
                        })
                    };
                    if l.len() != 2 {
                        return Err(bad("\"lifetime\" has only \"idle_ms\" and \"absolute_ms\""));
                    }
                    changes = changes.lifetime(Lifetime::new(
                        Duration::from_millis(ms("idle_ms")?),
                        Duration::from_millis(ms("absolute_ms")?),
                    ));
                }
                ("remember", J::Bool(remember)) => changes = changes.remember(*remember),
                (name, _) => return Err(bad(&format!("\"{name}\" has the wrong type"))),
            }
        }
        if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(bad(&format!(
                "unknown field {unknown:?} (expected clear, set, remove, flash, lifetime, remember)"
            )));
        }
        Ok(changes)
    }

    /// Whether the batch asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
            && self.flash.is_empty()
            && self.lifetime.is_none()
            && self.remember.is_none()
    }

    /// Whether applying the batch to `live` would change anything (a flash
    /// value always does). Errs on the side of "yes": a key removed and set
    /// back to its value counts as a change.
    pub(crate) fn would_change(&self, live: &LiveRecord) -> bool {
        let data_changes = self.data.iter().any(|change| match change {
            DataChange::Set(key, value) => live.data.get(key) != Some(value),
            DataChange::Remove(key) => live.data.contains_key(key),
            DataChange::Clear => !live.data.is_empty(),
        });
        data_changes
            || !self.flash.is_empty()
            || self.lifetime.is_some_and(|l| l != live.lifetime)
            || self.remember.is_some_and(|r| r != live.remember)
    }

    /// Applies the batch to a copy of a live session; says what changed:
    /// data or flash (the version moves), only lifetime or remember, or
    /// nothing (nothing is written).
    pub(crate) fn apply_to(self, live: &mut LiveRecord) -> Outcome<()> {
        let mut versioned = false;
        for change in self.data {
            match change {
                DataChange::Set(key, value) => {
                    if live.data.get(&key) != Some(&value) {
                        Arc::make_mut(&mut live.data).insert(key, value);
                        versioned = true;
                    }
                }
                DataChange::Remove(key) => {
                    if live.data.contains_key(&key) {
                        Arc::make_mut(&mut live.data).remove(&key);
                        versioned = true;
                    }
                }
                DataChange::Clear => {
                    if !live.data.is_empty() {
                        Arc::make_mut(&mut live.data).clear();
                        versioned = true;
                    }
                }
            }
        }
        for (key, value) in self.flash {
            live.flash.insert(key, value);
            versioned = true;
        }
        let mut changed = false;
        if let Some(lifetime) = self.lifetime {
            changed |= live.lifetime != lifetime;
            live.lifetime = lifetime;
        }
        if let Some(remember) = self.remember {
            changed |= live.remember != remember;
            live.remember = remember;
        }
        if versioned {
            Outcome::Versioned(())
        } else if changed {
            Outcome::Unversioned(())
        } else {
            Outcome::Unchanged(())
        }
    }

    /// Checks every key, value and lifetime, before anything is written.
    pub(crate) fn validate(&self) -> Result<()> {
        for change in &self.data {
            match change {
                DataChange::Set(key, value) => {
                    validate_key(key)?;
                    value.validate(key)?;
                }
                DataChange::Remove(key) => validate_key(key)?,
                DataChange::Clear => {}
            }
        }
        for (key, value) in &self.flash {
            validate_key(key)?;
            value.validate(key)?;
        }
        if let Some(Some(lifetime)) = &self.lifetime {
            lifetime.validate("lifetime")?;
        }
        Ok(())
    }
}

/// Names the keys only: values may be anything an app keeps in a session.
impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set: Vec<&str> = self
            .data
            .iter()
            .filter_map(|c| match c {
                DataChange::Set(key, _) => Some(key.as_str()),
                DataChange::Remove(_) | DataChange::Clear => None,
            })
            .collect();
        let remove: Vec<&str> = self
            .data
            .iter()
            .filter_map(|c| match c {
                DataChange::Remove(key) => Some(key.as_str()),
                DataChange::Set(..) | DataChange::Clear => None,
            })
            .collect();
        let flash: Vec<&str> = self.flash.iter().map(|(key, _)| key.as_str()).collect();
        f.debug_struct("Changes")
            .field("set", &set)
            .field("remove", &remove)
            .field("clear", &self.data.contains(&DataChange::Clear))
            .field("flash", &flash)
            .field("lifetime", &self.lifetime)
            .field("remember", &self.remember)
            .finish()
    }
}
