//! `authorize`: the OAuth 2.0 authorisation-code flow (PKCE) on a loopback redirect listener.

use super::{runtime, Ctx};
use anyhow::Result;
use connector_agent_sync::oauth::{AuthorizeOptions, AuthorizeStart};
use std::io::Write;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct AuthorizeCommand {
    /// Connection id.
    pub id: String,
    /// Port of the loopback redirect listener; register `http://127.0.0.1:PORT/callback`
    /// with the provider (0 picks a free port, which suits providers that accept any port).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Print the authorisation URL only; do not try to open a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// Seconds to wait for the provider's redirect.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

impl AuthorizeCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        let json = ctx.json;
        let no_browser = self.no_browser;
        let started = move |s: &AuthorizeStart| {
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "event": "waiting",
                        "redirect_url": s.redirect_url,
                        "authorize_url": s.authorize_url,
                    })
                );
            } else {
                println!(
                    "Redirect URL to register with the provider:\n  {}",
                    s.redirect_url
                );
                println!("Open this URL to approve access:\n  {}", s.authorize_url);
                println!("Waiting for the redirect…");
            }
            let _ = std::io::stdout().flush();
            if !no_browser {
                open_browser(&s.authorize_url);
            }
        };
        let options = AuthorizeOptions {
            port: self.port,
            timeout: Duration::from_secs(self.timeout),
        };
        let report = runtime()?.block_on(engine.authorize(&self.id, options, started))?;
        if json {
            let mut v = serde_json::to_value(&report)?;
            v["event"] = "authorized".into();
            println!("{v}");
        } else {
            println!(
                "authorized: {} (tokens stored with the connection's secrets{})",
                report.connection,
                if report.refresh_token_stored {
                    "; the host renews the access token itself"
                } else {
                    "; the provider issued no refresh token, so run `authorize` again when the access token expires"
                }
            );
        }
        Ok(0)
    }
}

/// Best effort: the platform's opener, quietly; the URL is printed either way.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
