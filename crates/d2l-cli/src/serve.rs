//! `d2l serve [--bind ADDR:PORT] [--device BACKEND]...`: hosts this machine's devices for
//! `--backend remote` clients, with Burn's `RemoteServer` over WebSocket, until Ctrl-C or
//! SIGTERM.

use clap::Args;
use d2l::DeviceSpec;
use std::net::SocketAddr;

use crate::context::{Failure, Global};

/// Where to listen and what to host.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address and port to listen on; port 0 takes a free one (printed). An address other
    /// than loopback needs a token (--token-file or $D2L_TOKEN).
    #[arg(long, default_value = "127.0.0.1:3000")]
    bind: SocketAddr,
    /// A device to host: a backend (flex, wgpu) or wgpu:N; repeat to host several (a client
    /// takes the first) [default: --backend, else the first compiled].
    #[arg(long = "device", value_name = "DEVICE")]
    devices: Vec<DeviceSpec>,
}

/// Serves until the process is stopped; prints where, and what, as one JSON line first.
#[cfg(feature = "remote")]
pub fn exec(global: &Global, args: &ServeArgs) -> Result<(), Failure> {
    use crate::context::{open, token};
    use std::io::Write;
    let token = token(global)?;
    let specs = match args.devices.is_empty() {
        true => vec![DeviceSpec::Local(d2l::backend::resolve(global.backend)?)],
        false => args.devices.clone(),
    };
    if let Some(served) = specs
        .iter()
        .find(|spec| spec.backend() == d2l::Backend::Remote)
    {
        return Err(Failure::Usage(format!(
            "a server hosts this machine's devices, not {served}'s"
        )));
    }
    let (listener, serving) = d2l::remote::listen(args.bind, token.as_deref())
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let devices = specs
        .iter()
        .map(|spec| Ok(open(spec, global)?.0))
        .collect::<Result<Vec<_>, Failure>>()?;
    let url = format!("ws://{}", serving.address);
    let names: Vec<String> = specs.iter().map(ToString::to_string).collect();
    println!(
        "{}",
        crate::context::json(&serde_json::json!({
            "serving": url,
            "devices": names,
            "token_required": serving.token_required,
        }))
    );
    std::io::stdout()
        .flush()
        .map_err(|e| Failure::Run(format!("cannot write to stdout: {e}")))?;
    if !global.quiet {
        let access = match serving.token_required {
            true => "clients must present the token",
            false => "no token: loopback only",
        };
        eprintln!(
            "serving {} on {url} ({access}); train there with `d2l --backend remote --remote {url} train ...`; Ctrl-C stops",
            names.join(", ")
        );
    }
    let refused = |reason: &str| eprintln!("refused a client: {reason}");
    d2l::remote::serve(listener, devices, token.as_deref(), refused)
        .map_err(|e| Failure::Run(e.to_string()))?;
    if !global.quiet {
        eprintln!("stopped serving {url}");
    }
    Ok(())
}

/// A build without Burn's remote backend cannot serve.
#[cfg(not(feature = "remote"))]
pub fn exec(_: &Global, _: &ServeArgs) -> Result<(), Failure> {
    Err(Failure::Usage(
        "serve needs the `remote` feature: this build has none (cargo xtask serve)".into(),
    ))
}
