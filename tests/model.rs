//! Model-based property test: random sequences of operations against the
//! store and against a plain in-memory model must give the same observable
//! results (like redb's fuzzer against a BTreeMap).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use coatcheck::{Config, ErrorKind, NewSession, Value};
use proptest::prelude::*;

const IDLE: i64 = 30;
const ABSOLUTE: i64 = 120;

#[derive(Debug, Clone)]
enum Op {
    Create {
        user: Option<u8>,
        key: u8,
        value: i64,
    },
    Get(usize),
    Peek(usize),
    Set(usize, u8, i64),
    Remove(usize, u8),
    Destroy(usize),
    Regenerate(usize),
    Login(usize, u8),
    DestroyUser(u8),
    Flash(usize, u8),
    TakeFlash(usize),
    Advance(u8),
    Sweep,
    Count,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (proptest::option::of(0u8..3), 0u8..4, -5i64..5)
            .prop_map(|(user, key, value)| Op::Create { user, key, value }),
        (0usize..16).prop_map(Op::Get),
        (0usize..16).prop_map(Op::Peek),
        (0u8..3).prop_map(Op::DestroyUser),
        (0usize..16, 0u8..4, -5i64..5).prop_map(|(i, k, v)| Op::Set(i, k, v)),
        (0usize..16, 0u8..4).prop_map(|(i, k)| Op::Remove(i, k)),
        (0usize..16).prop_map(Op::Destroy),
        (0usize..16).prop_map(Op::Regenerate),
        (0usize..16, 0u8..3).prop_map(|(i, u)| Op::Login(i, u)),
        (0usize..16, 0u8..4).prop_map(|(i, k)| Op::Flash(i, k)),
        (0usize..16).prop_map(Op::TakeFlash),
        (0u8..40).prop_map(Op::Advance),
        Just(Op::Sweep),
        Just(Op::Count),
    ]
}

#[derive(Debug, Clone)]
enum State {
    Live {
        user: Option<String>,
        data: BTreeMap<String, Value>,
        flash: BTreeMap<String, Value>,
        version: u64,
        created: i64,
        last_access: i64,
    },
    Ended {
        until: i64,
    },
    Gone,
}

/// What a caller can observe of one operation.
#[derive(Debug, PartialEq)]
enum Seen {
    Ok,
    Session {
        user: Option<String>,
        data: BTreeMap<String, Value>,
        version: u64,
    },
    Flash(BTreeMap<String, Value>),
    Bool(bool),
    Count(u64),
    Err(ErrorKind),
}

struct Model {
    now: i64,
    slots: Vec<State>,
}

impl Model {
    fn expires(created: i64, last_access: i64) -> i64 {
        (last_access + IDLE).min(created + ABSOLUTE)
    }

    /// The live session in slot `i`, or the error a read reports.
    fn live(&mut self, i: usize) -> Result<&mut State, ErrorKind> {
        let now = self.now;
        match self.slots.get_mut(i) {
            None | Some(State::Gone) => Err(ErrorKind::NotFound),
            Some(State::Ended { until }) => Err(if *until > now {
                ErrorKind::Revoked
            } else {
                ErrorKind::NotFound
            }),
            Some(s @ State::Live { .. }) => {
                let State::Live {
                    created,
                    last_access,
                    ..
                } = s
                else {
                    unreachable!()
                };
                if Self::expires(*created, *last_access) <= now {
                    Err(ErrorKind::Expired)
                } else {
                    Ok(s)
                }
            }
        }
    }

    fn touch(&mut self, i: usize) -> Result<(), ErrorKind> {
        let now = self.now;
        if let State::Live { last_access, .. } = self.live(i)? {
            *last_access = now;
        }
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Seen {
        let now = self.now;
        let r: Result<Seen, ErrorKind> = (|| match op {
            Op::Create { user, key, value } => {
                let mut data = BTreeMap::new();
                data.insert(format!("k{key}"), Value::from(*value));
                self.slots.push(State::Live {
                    user: user.map(|u| format!("u{u}")),
                    data,
                    flash: BTreeMap::new(),
                    version: 0,
                    created: now,
                    last_access: now,
                });
                Ok(Seen::Ok)
            }
            Op::Get(i) | Op::Peek(i) => {
                if matches!(op, Op::Get(_)) {
                    self.touch(*i)?;
                }
                let State::Live {
                    user,
                    data,
                    version,
                    ..
                } = self.live(*i)?
                else {
                    unreachable!()
                };
                Ok(Seen::Session {
                    user: user.clone(),
                    data: data.clone(),
                    version: *version,
                })
            }
            Op::DestroyUser(u) => {
                let name = format!("u{u}");
                let mut ended = 0;
                for slot in &mut self.slots {
                    if let State::Live {
                        user: Some(user),
                        created,
                        last_access,
                        ..
                    } = slot
                    {
                        if *user == name {
                            let until = Self::expires(*created, *last_access);
                            *slot = if until > now {
                                ended += 1;
                                State::Ended { until }
                            } else {
                                State::Gone
                            };
                        }
                    }
                }
                Ok(Seen::Count(ended))
            }
            Op::Set(i, k, v) => {
                self.touch(*i)?;
                if let State::Live { data, version, .. } = self.live(*i)? {
                    let key = format!("k{k}");
                    let value = Value::from(*v);
                    if data.get(&key) != Some(&value) {
                        data.insert(key, value);
                        *version += 1;
                    }
                }
                Ok(Seen::Ok)
            }
            Op::Remove(i, k) => {
                self.touch(*i)?;
                if let State::Live { data, version, .. } = self.live(*i)? {
                    if data.remove(&format!("k{k}")).is_some() {
                        *version += 1;
                    }
                }
                Ok(Seen::Ok)
            }
            Op::Flash(i, k) => {
                self.touch(*i)?;
                if let State::Live { flash, version, .. } = self.live(*i)? {
                    flash.insert(format!("f{k}"), Value::from(true));
                    *version += 1;
                }
                Ok(Seen::Ok)
            }
            Op::TakeFlash(i) => {
                self.touch(*i)?;
                if let State::Live { flash, version, .. } = self.live(*i)? {
                    let taken = std::mem::take(flash);
                    if !taken.is_empty() {
                        *version += 1;
                    }
                    return Ok(Seen::Flash(taken));
                }
                unreachable!()
            }
            Op::Destroy(i) => match self.live(*i) {
                Ok(State::Live {
                    created,
                    last_access,
                    ..
                }) => {
                    let until = Self::expires(*created, *last_access);
                    self.slots[*i] = State::Ended { until };
                    Ok(Seen::Bool(true))
                }
                Ok(_) => unreachable!(),
                Err(ErrorKind::Expired) => {
                    self.slots[*i] = State::Gone;
                    Ok(Seen::Bool(false))
                }
                Err(_) => Ok(Seen::Bool(false)),
            },
            Op::Regenerate(i) | Op::Login(i, _) => {
                let login = match op {
                    Op::Login(_, u) => Some(format!("u{u}")),
                    _ => None,
                };
                let State::Live {
                    user,
                    data,
                    flash,
                    version,
                    created,
                    last_access,
                } = self.live(*i)?.clone()
                else {
                    unreachable!()
                };
                let until = Self::expires(created, last_access);
                let (mut user, mut data, mut flash, mut version) = (user, data, flash, version);
                if let Some(new_user) = login {
                    if user.as_deref() != Some(new_user.as_str()) {
                        if user.is_some() {
                            data.clear();
                            flash.clear();
                        }
                        user = Some(new_user);
                        version += 1;
                    }
                }
                self.slots[*i] = State::Ended { until };
                self.slots.push(State::Live {
                    user,
                    data,
                    flash,
                    version,
                    created,
                    last_access: now,
                });
                Ok(Seen::Ok)
            }
            Op::Advance(m) => {
                self.now += i64::from(*m);
                Ok(Seen::Ok)
            }
            Op::Sweep => {
                for slot in &mut self.slots {
                    let gone = match slot {
                        State::Live {
                            created,
                            last_access,
                            ..
                        } => Self::expires(*created, *last_access) <= now,
                        State::Ended { until } => *until <= now,
                        State::Gone => false,
                    };
                    if gone {
                        *slot = State::Gone;
                    }
                }
                Ok(Seen::Ok)
            }
            Op::Count => Ok(Seen::Count(
                self.slots
                    .iter()
                    .filter(|s| match s {
                        State::Live {
                            created,
                            last_access,
                            ..
                        } => Self::expires(*created, *last_access) > now,
                        _ => false,
                    })
                    .count() as u64,
            )),
        })();
        r.unwrap_or_else(Seen::Err)
    }
}

fn slot(tokens: &[String], i: usize) -> String {
    tokens.get(i).cloned().unwrap_or_else(|| "Z".repeat(43))
}

fn run(
    store: &coatcheck::Store,
    clock: &coatcheck::ManualClock,
    tokens: &mut Vec<String>,
    op: &Op,
) -> Seen {
    let token = |i: &usize| slot(tokens, *i);
    let mut created = None;
    let r: coatcheck::Result<Seen> = (|| match op {
        Op::Create { user, key, value } => {
            let mut new = NewSession::default().insert(format!("k{key}"), *value);
            new.user = user.map(|u| format!("u{u}"));
            let s = store.create(new)?;
            created = Some(s.token().unwrap().to_owned());
            Ok(Seen::Ok)
        }
        Op::Get(i) | Op::Peek(i) => {
            let s = match op {
                Op::Get(_) => store.get(&token(i))?,
                _ => store.peek(&token(i))?,
            };
            Ok(Seen::Session {
                user: s.user().map(str::to_owned),
                data: s.data().clone(),
                version: s.version(),
            })
        }
        Op::DestroyUser(u) => store
            .destroy_user(&format!("u{u}"))
            .map(|n| Seen::Count(n as u64)),
        Op::Set(i, k, v) => store.set(&token(i), &format!("k{k}"), *v).map(|_| Seen::Ok),
        Op::Remove(i, k) => store.remove(&token(i), &format!("k{k}")).map(|_| Seen::Ok),
        Op::Flash(i, k) => store
            .flash(&token(i), &format!("f{k}"), true)
            .map(|_| Seen::Ok),
        Op::TakeFlash(i) => store.take_flash(&token(i)).map(Seen::Flash),
        Op::Destroy(i) => store.destroy(&token(i)).map(Seen::Bool),
        Op::Regenerate(i) => {
            let s = store.regenerate(&token(i))?;
            created = Some(s.token().unwrap().to_owned());
            Ok(Seen::Ok)
        }
        Op::Login(i, u) => {
            let s = store.login(&token(i), &format!("u{u}"))?;
            created = Some(s.token().unwrap().to_owned());
            Ok(Seen::Ok)
        }
        Op::Advance(m) => {
            clock.advance(Duration::from_secs(u64::from(*m) * 60));
            Ok(Seen::Ok)
        }
        Op::Sweep => store.sweep().map(|_| Seen::Ok),
        Op::Count => store.count().map(Seen::Count),
    })();
    tokens.extend(created);
    r.unwrap_or_else(|e| Seen::Err(e.kind()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_store_behaves_like_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        let (store, clock) = common::memory_store(
            Config::default()
                .idle_timeout(Duration::from_secs(IDLE as u64 * 60))
                .absolute_timeout(Duration::from_secs(ABSOLUTE as u64 * 60))
                .touch_interval(Some(Duration::from_secs(7 * 60))),
        );
        let mut model = Model { now: 0, slots: Vec::new() };
        let mut tokens = Vec::new();
        for (step, op) in ops.iter().enumerate() {
            let expected = model.apply(op);
            let actual = run(&store, &clock, &mut tokens, op);
            prop_assert_eq!(actual, expected, "step {} {:?}", step, op);
        }
    }
}
