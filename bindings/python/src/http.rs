//! `coatcheck.http`: the session cookie, the CSRF cookie, and tokens from
//! `Cookie` and `Authorization` headers (the core's `coatcheck::http`).

use coatcheck::http::{CookieConfig, SameSite};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::convert::py_repr;
use crate::errors::IntoPy;
use crate::session::PySession;

fn same_site(name: &str) -> PyResult<SameSite> {
    match name.to_ascii_lowercase().as_str() {
        "strict" => Ok(SameSite::Strict),
        "lax" => Ok(SameSite::Lax),
        "none" => Ok(SameSite::None),
        _ => Err(PyValueError::new_err(format!(
            "same_site must be 'strict', 'lax' or 'none', got {}",
            py_repr(name)
        ))),
    }
}

fn same_site_name(s: SameSite) -> &'static str {
    match s {
        SameSite::Strict => "strict",
        SameSite::None => "none",
        _ => "lax",
    }
}

/// How the session cookie is written and read; secure by default.
#[pyclass(frozen, module = "coatcheck.http", name = "CookieConfig")]
pub struct PyCookieConfig {
    inner: CookieConfig,
}

#[pymethods]
impl PyCookieConfig {
    #[new]
    #[pyo3(signature = (
        name="session".to_owned(),
        *,
        path="/".to_owned(),
        domain=None,
        secure=true,
        http_only=true,
        same_site="lax",
        signed=false,
        keys=Vec::new(),
        csrf_cookie_name="XSRF-TOKEN".to_owned(),
    ))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        name: String,
        path: String,
        domain: Option<String>,
        secure: bool,
        http_only: bool,
        same_site: &str,
        signed: bool,
        keys: Vec<Vec<u8>>,
        csrf_cookie_name: String,
    ) -> PyResult<PyCookieConfig> {
        let inner = CookieConfig {
            name,
            path,
            domain,
            secure,
            http_only,
            same_site: self::same_site(same_site)?,
            signed,
            keys,
            csrf_cookie_name,
        };
        inner.validate().py_err()?;
        Ok(PyCookieConfig { inner })
    }

    /// The cookie name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The Path attribute.
    #[getter]
    fn path(&self) -> &str {
        &self.inner.path
    }

    /// The Domain attribute (None: this host only).
    #[getter]
    fn domain(&self) -> Option<&str> {
        self.inner.domain.as_deref()
    }

    /// The Secure attribute.
    #[getter]
    fn secure(&self) -> bool {
        self.inner.secure
    }

    /// The HttpOnly attribute.
    #[getter]
    fn http_only(&self) -> bool {
        self.inner.http_only
    }

    /// The SameSite attribute: 'strict', 'lax' or 'none'.
    #[getter]
    fn same_site(&self) -> &'static str {
        same_site_name(self.inner.same_site)
    }

    /// Whether cookie values are signed.
    #[getter]
    fn signed(&self) -> bool {
        self.inner.signed
    }

    /// The name of the script-readable CSRF cookie.
    #[getter]
    fn csrf_cookie_name(&self) -> &str {
        &self.inner.csrf_cookie_name
    }

    /// The Set-Cookie value that hands `session`'s token to the browser.
    fn set_cookie(&self, session: PyRef<'_, PySession>) -> PyResult<String> {
        self.inner.set_cookie(&session.inner).py_err()
    }

    /// The Set-Cookie value for `token`, with `session`'s lifetime.
    fn set_cookie_for(&self, token: &str, session: PyRef<'_, PySession>) -> PyResult<String> {
        self.inner.set_cookie_for(token, &session.inner).py_err()
    }

    /// The Set-Cookie value that deletes the session cookie.
    fn clear_cookie(&self) -> String {
        self.inner.clear_cookie()
    }

    /// A Set-Cookie value for the script-readable CSRF cookie holding `csrf_token`.
    fn csrf_cookie(&self, csrf_token: &str) -> String {
        self.inner.csrf_cookie(csrf_token)
    }

    /// The session token in a Cookie header (the first candidate), or None (absent,
    /// malformed, wrongly signed).
    fn token_from_cookie_header(&self, header: &str) -> Option<String> {
        self.inner.token_from_cookie_header(header)
    }

    /// Every session token in a Cookie header, in the browser's order, without repeats.
    fn token_candidates_from_cookie_header(&self, header: &str) -> Vec<String> {
        self.inner.token_candidates_from_cookie_header(header)
    }

    fn __repr__(&self) -> String {
        let c = &self.inner;
        format!(
            "coatcheck.http.CookieConfig({}, path={}, domain={}, secure={}, http_only={}, \
             same_site={}, signed={}, keys=<{} redacted>, csrf_cookie_name={})",
            py_repr(&c.name),
            py_repr(&c.path),
            c.domain.as_deref().map_or("None".to_owned(), py_repr),
            if c.secure { "True" } else { "False" },
            if c.http_only { "True" } else { "False" },
            py_repr(same_site_name(c.same_site)),
            if c.signed { "True" } else { "False" },
            c.keys.len(),
            py_repr(&c.csrf_cookie_name),
        )
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "coatcheck.http.CookieConfig cannot be pickled: it holds signing keys",
        ))
    }
}

/// The token of an `Authorization: Bearer …` header, or None.
#[pyfunction]
pub fn token_from_authorization(header: &str) -> Option<String> {
    coatcheck::http::token_from_authorization(header).map(str::to_owned)
}
