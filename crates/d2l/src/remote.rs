//! Devices across the network on Burn's own remote backend (feature `remote`): [`serve`] hosts
//! this build's devices with Burn's `RemoteServer` over WebSocket, [`connect`] opens a device
//! another process serves, as a [`Device`] like any other.
//!
//! Over WebSocket the token travels unencrypted: it keeps stray clients off a trusted network,
//! not someone reading the traffic. A server on an address other than loopback therefore needs
//! one ([`ServeError::NoToken`]).
//!
//! ```no_run
//! use d2l::remote::{Target, connect};
//!
//! // `d2l serve --bind 0.0.0.0:3000` on the machine called gpu, D2L_TOKEN set on both.
//! let target = Target::new("ws://gpu:3000", std::env::var("D2L_TOKEN").ok())?;
//! let device = connect(&target)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use burn::remote::RemoteHost;
use burn::server::{
    AuthorizationRequest, PeerAuthorizer, RemoteServer, TokenAuthorizer, WebSocketTransport,
};
use burn::tensor::Device;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

pub use crate::backend::REMOTE_ENV;

/// The environment variable holding the token: the one a server requires, the one a client
/// presents.
pub const TOKEN_ENV: &str = "D2L_TOKEN";

/// How long [`connect`] tries to reach the server's port before saying it cannot: Burn's own
/// client retries an unreachable host for about 16 s (measured here) before it gives up.
pub const REACH_TIMEOUT: Duration = Duration::from_secs(3);

/// A served device as a client names it: the server's address and the token to present.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    url: String,
    token: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: never printed.
        f.debug_struct("Target")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .finish()
    }
}

impl Target {
    /// The server at `url` (`ws://HOST:PORT`), presenting `token` when there is one (an empty
    /// token is none).
    pub fn new(url: &str, token: Option<String>) -> Result<Self, RemoteError> {
        let url = url.trim().trim_end_matches('/').to_string();
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| RemoteError::Url(url.clone()))?;
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| RemoteError::Url(url.clone()))?;
        if host.is_empty() || port.parse::<u16>().is_err() || rest.contains('/') {
            return Err(RemoteError::Url(url));
        }
        let token = token.filter(|t| !t.trim().is_empty());
        Ok(Self { url, token })
    }

    /// The server's address, `ws://HOST:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `HOST:PORT`.
    fn authority(&self) -> &str {
        self.url.trim_start_matches("ws://")
    }
}

/// The token of `--token-file` when given, else `$D2L_TOKEN`; `None` when neither holds one.
pub fn token(file: Option<&Path>) -> Result<Option<String>, RemoteError> {
    let token = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| RemoteError::TokenFile(path.display().to_string(), e.to_string()))?,
        ),
        None => std::env::var(TOKEN_ENV).ok(),
    };
    Ok(token
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty()))
}

/// Opens device 0 of the server `target` names, and has the loops treat it as an accelerator
/// ([`d2l_device::treat_as_accelerator`]: splits resident there, one read per epoch, since
/// every read crosses the network).
///
/// The port is tried first, for at most [`REACH_TIMEOUT`], so that an unreachable host fails
/// within seconds naming it; a refused token fails as [`RemoteError::Refused`].
pub fn connect(target: &Target) -> Result<Device, RemoteError> {
    reach(target)?;
    let mut host = RemoteHost::websocket(&target.url);
    if let Some(token) = &target.token {
        host = host.with_credential(token.as_str());
    }
    let device = Device::remote_options(&host).init().map_err(|e| {
        let message = e.to_string();
        match message.contains("authoriz") || message.contains("credential") {
            true => RemoteError::Refused {
                url: target.url.clone(),
                message,
            },
            false => RemoteError::Connect {
                url: target.url.clone(),
                message,
            },
        }
    })?;
    d2l_device::treat_as_accelerator(&device);
    Ok(device)
}

/// Whether the server's port takes a TCP connection within [`REACH_TIMEOUT`].
fn reach(target: &Target) -> Result<(), RemoteError> {
    let unreachable = |message: String| RemoteError::Unreachable {
        url: target.url.clone(),
        message,
    };
    let addresses: Vec<SocketAddr> = target
        .authority()
        .to_socket_addrs()
        .map_err(|e| unreachable(e.to_string()))?
        .collect();
    let mut last = "the name has no address".to_string();
    for address in addresses {
        match TcpStream::connect_timeout(&address, REACH_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(unreachable(last))
}

/// Where and what [`serve`] serves.
#[derive(Debug)]
pub struct Serving {
    /// The address it listens on (the port chosen when 0 was asked for).
    pub address: SocketAddr,
    /// Whether clients must present a token.
    pub token_required: bool,
}

/// Binds `bind` for [`serve`]: refused without a token on any address but loopback.
pub fn listen(bind: SocketAddr, token: Option<&str>) -> Result<(TcpListener, Serving), ServeError> {
    if token.is_none() && !bind.ip().is_loopback() {
        return Err(ServeError::NoToken(bind));
    }
    let listener = TcpListener::bind(bind).map_err(|e| ServeError::Bind(bind, e.to_string()))?;
    let address = listener
        .local_addr()
        .map_err(|e| ServeError::Bind(bind, e.to_string()))?;
    let serving = Serving {
        address,
        token_required: token.is_some(),
    };
    Ok((listener, serving))
}

/// Serves `devices` on `listener` (from [`listen`]) with Burn's `RemoteServer`, to the clients
/// that present `token` when there is one; blocks until the process gets Ctrl-C or SIGTERM
/// (Burn's server handles both and ends every session). A client refused (`refused` is told
/// why, naming it) or one that goes away mid-run leaves the server serving the others.
pub fn serve(
    listener: TcpListener,
    devices: Vec<Device>,
    token: Option<&str>,
    refused: impl Fn(&str) + Send + Sync + 'static,
) -> Result<(), ServeError> {
    let mut server = RemoteServer::new(devices);
    if let Some(token) = token {
        let tokens = TokenAuthorizer::new(token).map_err(|e| ServeError::Serve(e.to_string()))?;
        server = server.with_authorizer(move |request: AuthorizationRequest<'_>| {
            tokens
                .authorize(request)
                .inspect_err(|reason| refused(reason))
        });
    }
    server
        .serve(WebSocketTransport::from_listener(listener))
        .map_err(|e| ServeError::Serve(e.to_string()))
}

/// Why a served device could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// Not a `ws://HOST:PORT` address.
    #[error("'{0}' is not a server address: expected ws://HOST:PORT (d2l serve prints it)")]
    Url(String),
    /// The server's port took no connection.
    #[error(
        "cannot reach the d2l server at {url} within {}s: {message} (is `d2l serve` running there, and the port open?)",
        REACH_TIMEOUT.as_secs()
    )]
    Unreachable {
        /// The server.
        url: String,
        /// What the network said.
        message: String,
    },
    /// The server refused the token (or its absence).
    #[error(
        "the d2l server at {url} refused this client's token: {message} (set --token-file or {TOKEN_ENV} to the server's token)"
    )]
    Refused {
        /// The server.
        url: String,
        /// What Burn said.
        message: String,
    },
    /// The session could not be opened.
    #[error("cannot open a device on the d2l server at {url}: {message}")]
    Connect {
        /// The server.
        url: String,
        /// What Burn said.
        message: String,
    },
    /// The token file could not be read.
    #[error("cannot read the token file {0}: {1}")]
    TokenFile(String, String),
}

/// Why [`listen`] or [`serve`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// No token on an address other than loopback.
    #[error(
        "refusing to serve on {0} without a token: anyone who reaches it could run work there; set --token-file or {TOKEN_ENV}, or bind 127.0.0.1"
    )]
    NoToken(SocketAddr),
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, String),
    /// Burn's server failed.
    #[error("the server failed: {0}")]
    Serve(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_ws_addresses_and_hide_their_token() {
        let target = Target::new(" ws://gpu:3000/ ", Some("s3cret".into())).unwrap();
        assert_eq!(target.url(), "ws://gpu:3000");
        assert!(!format!("{target:?}").contains("s3cret"));
        for bad in [
            "gpu:3000",
            "http://gpu:3000",
            "ws://gpu",
            "ws://:3000",
            "ws://gpu:x",
        ] {
            let err = Target::new(bad, None).unwrap_err().to_string();
            assert!(err.contains("expected ws://HOST:PORT"), "{bad}: {err}");
        }
        assert_eq!(
            Target::new("ws://a:1", Some(" ".into())).unwrap().token,
            None
        );
    }

    #[test]
    fn serving_beyond_loopback_needs_a_token() {
        let err = listen("0.0.0.0:0".parse().unwrap(), None).unwrap_err();
        assert!(matches!(err, ServeError::NoToken(_)), "{err}");
        let (_listener, serving) = listen("127.0.0.1:0".parse().unwrap(), None).unwrap();
        assert!(serving.address.port() != 0 && !serving.token_required);
    }

    #[test]
    fn an_unreachable_server_fails_within_seconds_naming_it() {
        // A port nothing listens on: bound, then released.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let target = Target::new(&format!("ws://127.0.0.1:{port}"), None).unwrap();
        let start = std::time::Instant::now();
        let err = connect(&target).unwrap_err().to_string();
        assert!(start.elapsed() < REACH_TIMEOUT * 2, "{:?}", start.elapsed());
        assert!(
            err.contains(&format!("ws://127.0.0.1:{port}")) && err.contains("cannot reach"),
            "{err}"
        );
    }
}
