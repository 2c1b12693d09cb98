//! Opt-in binding of a session to its client (OWASP session management:
//! "binding the session ID to other user properties").
//!
//! With [`Config::binding`](crate::Config::binding) set, [`Store::get_from`]
//! compares the request's client with the one the session was created for
//! (its [`Meta`]: `user_agent`, and `ip` reduced to a prefix, so that a
//! phone moving between cells of one network keeps its session). A
//! mismatch ends the session at once with the reason
//! [`EndReason::BindingMismatch`]: a stolen cookie replayed from another
//! browser or network is worth nothing, at the price of signing out users
//! whose browser updates its `User-Agent` or whose address leaves the
//! prefix. A part the session has no value for (no `ip` recorded) is not
//! checked.

use std::net::IpAddr;

use crate::error::{EndReason, Error, Result};
use crate::session::{Meta, Session};
use crate::store::Store;

/// Which properties of the client a session is bound to (default: none).
///
/// ```
/// use coatcheck::{Binding, Config};
/// let config = Config::default().binding(Binding {
///     user_agent: true,
///     ipv4_prefix: Some(24),
///     ipv6_prefix: Some(64),
/// });
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Binding {
    /// The `User-Agent` must be the one the session was created with.
    pub user_agent: bool,
    /// An IPv4 client must stay within this many leading bits (0..=32) of
    /// the address the session was created from.
    pub ipv4_prefix: Option<u8>,
    /// An IPv6 client must stay within this many leading bits (0..=128).
    pub ipv6_prefix: Option<u8>,
}

impl Binding {
    /// Whether any part is bound.
    pub fn is_enabled(&self) -> bool {
        self.user_agent || self.ipv4_prefix.is_some() || self.ipv6_prefix.is_some()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.ipv4_prefix.is_some_and(|bits| bits > 32)
            || self.ipv6_prefix.is_some_and(|bits| bits > 128)
        {
            return Err(Error::invalid_argument(
                "binding: ipv4_prefix is at most 32 bits and ipv6_prefix at most 128",
            ));
        }
        Ok(())
    }

    /// Whether `client` matches the client the session was bound to.
    pub(crate) fn matches(&self, bound: &Meta, client: &Meta) -> bool {
        if self.user_agent && bound.user_agent.is_some() && bound.user_agent != client.user_agent {
            return false;
        }
        let Some(bound_ip) = bound.ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok()) else {
            return true;
        };
        let client_ip = client
            .ip
            .as_deref()
            .and_then(|ip| ip.parse::<IpAddr>().ok());
        match (bound_ip, client_ip) {
            (IpAddr::V4(a), Some(IpAddr::V4(b))) => self
                .ipv4_prefix
                .is_none_or(|bits| same_prefix(&a.octets(), &b.octets(), bits)),
            (IpAddr::V6(a), Some(IpAddr::V6(b))) => self
                .ipv6_prefix
                .is_none_or(|bits| same_prefix(&a.octets(), &b.octets(), bits)),
            (IpAddr::V4(_), _) => self.ipv4_prefix.is_none(),
            (IpAddr::V6(_), _) => self.ipv6_prefix.is_none(),
        }
    }
}

/// Whether `a` and `b` agree on their first `bits` bits.
fn same_prefix(a: &[u8], b: &[u8], bits: u8) -> bool {
    let bits = usize::from(bits);
    let whole = bits / 8;
    if a[..whole] != b[..whole] {
        return false;
    }
    let rest = bits % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[whole] & mask) == (b[whole] & mask)
}

impl Store {
    /// [`Store::get`] for a request from `client` (its `ip` and
    /// `user_agent`; `label` is ignored). With [`Config::binding`](crate::Config::binding),
    /// a client that does not match the one the session is bound to ends
    /// the session: the call (and every later one) fails with `Revoked`,
    /// reason `binding_mismatch`. Without binding it is `get`.
    ///
    /// ```
    /// # use coatcheck::{Binding, Config, EndReason, Meta, NewSession, Store};
    /// let store = Store::in_memory(Config::default().binding(Binding {
    ///     user_agent: true,
    ///     ..Binding::default()
    /// }))?;
    /// let firefox = Meta { user_agent: Some("Firefox".into()), ..Meta::default() };
    /// let token = store.create(NewSession::default().user_agent("Firefox"))?.token().unwrap().to_owned();
    /// assert!(store.get_from(&token, &firefox).is_ok());
    /// let curl = Meta { user_agent: Some("curl".into()), ..Meta::default() };
    /// let err = store.get_from(&token, &curl).unwrap_err();
    /// assert_eq!(err.end_reason(), Some(EndReason::BindingMismatch));
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn get_from(&self, token: &str, client: &Meta) -> Result<Session> {
        (|| {
            let session = self.inner.read_id(&self.inner.parse(token)?, true, None)?;
            let binding = self.inner.config.binding;
            if !binding.is_enabled() || binding.matches(session.meta(), client) {
                return Ok(session);
            }
            self.inner.end(session.id(), EndReason::BindingMismatch)?;
            Err(Error::revoked(EndReason::BindingMismatch))
        })()
        .map_err(|e| e.during("get_from"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(ip: Option<&str>, ua: Option<&str>) -> Meta {
        Meta {
            ip: ip.map(str::to_owned),
            user_agent: ua.map(str::to_owned),
            label: None,
        }
    }

    #[test]
    fn prefixes_compare_the_leading_bits() {
        let b = Binding {
            user_agent: false,
            ipv4_prefix: Some(20),
            ipv6_prefix: Some(64),
        };
        let bound = meta(Some("10.1.16.5"), None);
        assert!(b.matches(&bound, &meta(Some("10.1.31.200"), None)));
        assert!(!b.matches(&bound, &meta(Some("10.1.32.1"), None)));
        assert!(!b.matches(&bound, &meta(Some("2001:db8::1"), None)));
        assert!(!b.matches(&bound, &meta(None, None)));
        let bound6 = meta(Some("2001:db8:0:1::5"), None);
        assert!(b.matches(&bound6, &meta(Some("2001:db8:0:1:ffff::1"), None)));
        assert!(!b.matches(&bound6, &meta(Some("2001:db8:0:2::5"), None)));
        // Nothing recorded: nothing to check.
        assert!(b.matches(&meta(None, None), &meta(Some("1.2.3.4"), None)));
    }

    #[test]
    fn user_agents_must_be_equal() {
        let b = Binding {
            user_agent: true,
            ..Binding::default()
        };
        let bound = meta(Some("10.0.0.1"), Some("Firefox"));
        assert!(b.matches(&bound, &meta(Some("192.168.0.1"), Some("Firefox"))));
        assert!(!b.matches(&bound, &meta(None, Some("Chrome"))));
        assert!(!b.matches(&bound, &meta(None, None)));
        assert!(Binding {
            ipv4_prefix: Some(33),
            ..Binding::default()
        }
        .validate()
        .is_err());
    }
}
