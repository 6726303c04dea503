//! Test tool for the official-SDK cross-checks (tests/python/test_credentials.py): runs
//! our default credentials chain over the process environment and prints, as one JSON
//! object, exactly what it read — secrets included, so that they can be compared with
//! what Huawei's SDK reads. Only ever run it on test credentials.
//!
//! It asks the chain itself, not the client's cache in front of it, which also refuses
//! values no request could carry (e.g. a security token continued on a second line, which
//! both read alike).

use secrecy::ExposeSecret;
use vpcep_client::credentials::{format_time, ChainBuilder, ProvideCredentials};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match ChainBuilder::new().build_chain().provide().await {
        Ok(id) => {
            let keys = id.keys();
            let out = serde_json::json!({
                "provider": id.provider(),
                "ak": keys.access_key(),
                "sk": keys.secret_key().expose_secret(),
                "security_token": keys.security_token().map(|t| t.expose_secret().to_owned()),
                "project_id": id.project_id(),
                "iam_endpoint": id.iam_endpoint(),
                "expires_at": id.expires_at().map(format_time),
                "expires_at_unix": id.expires_at().map(|t| t
                    .duration_since(std::time::SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0)),
            });
            println!("{out}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
