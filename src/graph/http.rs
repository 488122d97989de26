//! The one way hunt builds an HTTP client for Microsoft Graph and the sign-in service: rustls with
//! the ring crypto provider (reqwest is built with `rustls-no-provider`, so a provider must be the
//! process default before the first client is built), a `hunt/<version>` User-Agent, and no
//! redirects (a token request or a query carries secrets; neither service redirects them).

use std::sync::Once;
use std::time::Duration;

/// `hunt/<version>`, sent as the User-Agent.
pub const USER_AGENT: &str = concat!("hunt/", env!("CARGO_PKG_VERSION"));

/// Makes ring rustls's process-wide crypto provider, once. Another provider installed first (by
/// a test or an embedding program) is left in place: any provider serves.
pub fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An HTTP client whose whole request (connect, send, read) is bounded by `timeout`; connecting
/// alone by at most 30 s. Errors: the reason the client could not be built (a TLS set-up
/// problem), as text for the user.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(30)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("could not set up the HTTP client: {e}"))
}
