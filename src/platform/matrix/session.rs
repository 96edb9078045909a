//! One device for the life of the bot. The first start logs in (password or
//! access token) and saves the session (user id, device id, access token) in
//! `session.json` beside matrix-sdk's SQLite state and crypto stores; every
//! later start restores it, so the bot keeps its device and its encryption
//! identity. Logging in again would make a new device that nobody has
//! verified and that can't read earlier keys.
//!
//! attune also keeps its own sync token (`sync-token`), written only after
//! every event of a sync response was handled: matrix-sdk saves its token
//! before it hands events on, so a crash in between would lose them.

use std::path::{Path, PathBuf};

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::encryption::EncryptionSettings;
use matrix_sdk::ruma::{OwnedDeviceId, OwnedUserId};
use matrix_sdk::{Client, SessionMeta, SessionTokens};
use serde::{Deserialize, Serialize};

use super::{MatrixError, MatrixOptions};

const SESSION: &str = "session.json";
const SYNC_TOKEN: &str = "sync-token";
const THREADS: &str = "threads.json";
/// Support rooms attune made and is waiting to step out of.
const SUPPORT_ROOMS: &str = "support_rooms.json";
/// The name other members see for the bot's device.
const DEVICE_NAME: &str = "attune";

/// What is saved of the session. The access token is a secret: the file is
/// readable by its owner only, and nothing here is ever logged.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct Saved {
    pub(super) user_id: String,
    pub(super) device_id: String,
    pub(super) access_token: String,
}

/// The saved session, if there is a readable one.
pub(super) fn saved_session(dir: &Path) -> Option<Saved> {
    read_session(dir).ok().flatten()
}

/// Builds the client on the persistent stores and logs in or restores.
pub(super) async fn connect(options: &MatrixOptions) -> Result<Client, MatrixError> {
    let dir = &options.store_dir;
    std::fs::create_dir_all(dir).map_err(|e| files(dir, e))?;
    // The session, the sync token and the encryption keys are the bot's identity: the
    // folder is its owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| files(dir, e))?;
    }
    let passphrase = Some(options.store_passphrase.as_str()).filter(|p| !p.is_empty());
    let client = Client::builder()
        .homeserver_url(&options.section.homeserver)
        .sqlite_store(dir.join("sdk"), passphrase)
        // Cross-signing keys are made on the first login, so moderators can verify the bot.
        .with_encryption_settings(EncryptionSettings { auto_enable_cross_signing: true, ..Default::default() })
        .build()
        .await
        .map_err(|e| match e {
            // Most often a passphrase that isn't the one the store was made with.
            matrix_sdk::ClientBuildError::SqliteStore(e) => MatrixError::Store(e.to_string()),
            e => MatrixError::Client(e.to_string()),
        })?;
    if let Some(saved) = read_session(dir)? {
        if saved.user_id != options.section.user {
            return Err(MatrixError::OtherUser { saved: saved.user_id, configured: options.section.user.clone() });
        }
        restore(&client, &saved).await?;
        return Ok(client);
    }
    let saved = if !options.password.is_empty() {
        let response = client
            .matrix_auth()
            .login_username(&options.section.user, &options.password)
            .initial_device_display_name(DEVICE_NAME)
            .send()
            .await
            .map_err(|e| match (super::refusal(e.client_api_error_kind(), &options.section.user, dir), e.as_client_api_error()) {
                (Some(fatal), _) => MatrixError::Fatal(fatal),
                // The homeserver answered, and said no.
                (None, Some(_)) => MatrixError::Login { user: options.section.user.clone(), reason: e.to_string() },
                // It never answered: a fresh start may reach it.
                (None, None) => MatrixError::Sync(format!("the homeserver could not be reached to log in ({e})")),
            })?;
        Saved { user_id: response.user_id.to_string(), device_id: response.device_id.to_string(), access_token: response.access_token }
    } else if !options.access_token.is_empty() {
        let saved = whoami(options).await?;
        restore(&client, &saved).await?;
        saved
    } else {
        return Err(MatrixError::NoCredentials);
    };
    write_session(dir, &saved)?;
    tracing::info!(device = %saved.device_id, "logged in to Matrix; the session is saved for the next start");
    Ok(client)
}

/// After a soft logout (the homeserver wants attune to sign in again, and keeps
/// its device): signs in with the password as the saved device, so the device
/// and its encryption identity stay, and saves the new access token for the next
/// start. The request goes through a client that keeps nothing and never takes
/// the session, so no second encryption identity is made for the device.
pub(super) async fn sign_in_again(options: &MatrixOptions) -> Result<String, MatrixError> {
    use matrix_sdk::ruma::api::client::session::login;
    use matrix_sdk::ruma::api::client::uiaa::{MatrixUserIdentifier, UserIdentifier};
    let dir = &options.store_dir;
    let saved = read_session(dir)?.ok_or(MatrixError::NoCredentials)?;
    let login_error = |reason: String| MatrixError::Login { user: options.section.user.clone(), reason };
    let probe =
        Client::builder().homeserver_url(&options.section.homeserver).build().await.map_err(|e| MatrixError::Client(e.to_string()))?;
    let password =
        login::v3::Password::new(UserIdentifier::Matrix(MatrixUserIdentifier::new(options.section.user.clone())), options.password.clone());
    let mut request = login::v3::Request::new(login::v3::LoginInfo::Password(password));
    request.device_id = Some(OwnedDeviceId::from(saved.device_id.as_str()));
    let response = probe.send(request).await.map_err(|e| match e.as_client_api_error().map(|c| c.status_code.as_u16()) {
        // The homeserver said no to the password (or the account): that needs the operator.
        Some(401 | 403) => login_error(e.to_string()),
        // Unreachable, rate-limited or failing: a fresh start may get through.
        _ => MatrixError::Sync(format!("the homeserver could not be reached to sign in again ({e})")),
    })?;
    if response.device_id.as_str() != saved.device_id || response.user_id.as_str() != saved.user_id {
        return Err(login_error("the homeserver gave another device than the one attune keeps".into()));
    }
    write_session(dir, &Saved { access_token: response.access_token, ..saved.clone() })?;
    tracing::info!(device = %saved.device_id, "signed in to Matrix again as the same device; the new session is saved");
    Ok(saved.device_id)
}

/// Gives the account a new cross-signing identity and signs this device with it
/// (after a lost store, the device can't be signed by the old one): on the saved
/// session and attune's own stores, confirmed with the password (the homeserver
/// asks for it before it replaces the keys). Returns the device id.
pub(super) async fn reset_identity(options: &MatrixOptions) -> Result<String, MatrixError> {
    use matrix_sdk::encryption::CrossSigningResetAuthType;
    use matrix_sdk::ruma::api::client::uiaa::{AuthData, MatrixUserIdentifier, Password, UserIdentifier};
    let saved = read_session(&options.store_dir)?.ok_or(MatrixError::NoCredentials)?;
    if options.password.is_empty() {
        return Err(MatrixError::Login {
            user: options.section.user.clone(),
            reason: "resetting the identity needs the account's password in ATTUNE_MATRIX_PASSWORD".into(),
        });
    }
    let client = connect(options).await?;
    let failed = |e: matrix_sdk::Error| MatrixError::Login { user: options.section.user.clone(), reason: e.to_string() };
    if let Some(handle) = client.encryption().reset_cross_signing().await.map_err(failed)? {
        match handle.auth_type() {
            CrossSigningResetAuthType::Uiaa(uiaa) => {
                let mut password = Password::new(
                    UserIdentifier::Matrix(MatrixUserIdentifier::new(options.section.user.clone())),
                    options.password.clone(),
                );
                password.session = uiaa.session.clone();
                handle.auth(Some(AuthData::Password(password))).await.map_err(failed)?;
            }
            CrossSigningResetAuthType::OAuth(o) => {
                return Err(MatrixError::Login {
                    user: options.section.user.clone(),
                    reason: format!(
                        "the homeserver wants the reset approved in a browser first, at {}; approve it there and run this again",
                        o.approval_url
                    ),
                });
            }
        }
    }
    tracing::info!(device = %saved.device_id, "the account has a new cross-signing identity, and this device is signed by it");
    Ok(saved.device_id)
}

/// Who an access token belongs to (user and device), asked with a client that
/// keeps nothing, so no encryption identity is made for a guessed device.
async fn whoami(options: &MatrixOptions) -> Result<Saved, MatrixError> {
    let probe =
        Client::builder().homeserver_url(&options.section.homeserver).build().await.map_err(|e| MatrixError::Client(e.to_string()))?;
    let login = |reason: String| MatrixError::Login { user: options.section.user.clone(), reason };
    let placeholder = MatrixSession {
        meta: SessionMeta { user_id: user_id(&options.section.user)?, device_id: OwnedDeviceId::from("ATTUNEPROBE") },
        tokens: SessionTokens { access_token: options.access_token.clone(), refresh_token: None },
    };
    probe
        .matrix_auth()
        .restore_session(placeholder, matrix_sdk::store::RoomLoadSettings::default())
        .await
        .map_err(|e| login(e.to_string()))?;
    let me = probe.whoami().await.map_err(|e| login(e.to_string()))?;
    let device = me.device_id.ok_or_else(|| login("the access token belongs to no device".into()))?;
    Ok(Saved { user_id: me.user_id.to_string(), device_id: device.to_string(), access_token: options.access_token.clone() })
}

async fn restore(client: &Client, saved: &Saved) -> Result<(), MatrixError> {
    let session = MatrixSession {
        meta: SessionMeta { user_id: user_id(&saved.user_id)?, device_id: OwnedDeviceId::from(saved.device_id.as_str()) },
        tokens: SessionTokens { access_token: saved.access_token.clone(), refresh_token: None },
    };
    client.restore_session(session).await.map_err(|e| MatrixError::Login { user: saved.user_id.clone(), reason: e.to_string() })
}

fn user_id(raw: &str) -> Result<OwnedUserId, MatrixError> {
    OwnedUserId::try_from(raw).map_err(|e| MatrixError::Login { user: raw.to_owned(), reason: format!("not a user id ({e})") })
}

fn files(dir: &Path, e: impl std::fmt::Display) -> MatrixError {
    MatrixError::Files { path: dir.display().to_string(), reason: e.to_string() }
}

fn read_session(dir: &Path) -> Result<Option<Saved>, MatrixError> {
    match std::fs::read(dir.join(SESSION)) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| files(dir, format!("{SESSION} is damaged ({e})"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(files(dir, e)),
    }
}

fn write_session(dir: &Path, saved: &Saved) -> Result<(), MatrixError> {
    let bytes = serde_json::to_vec(saved).map_err(|e| files(dir, e))?;
    write_atomically(&dir.join(SESSION), &bytes, true).map_err(|e| files(dir, e))
}

/// attune's own sync token: where to continue after everything before it was handled.
pub(super) fn sync_token(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join(SYNC_TOKEN)).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub(super) fn save_sync_token(dir: &Path, token: &str) -> std::io::Result<()> {
    write_atomically(&dir.join(SYNC_TOKEN), token.as_bytes(), false)
}

/// Each room's current circle thread (room id → root event id).
pub(super) fn load_threads(dir: &Path) -> std::collections::HashMap<String, String> {
    std::fs::read(dir.join(THREADS)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

pub(super) fn save_threads(dir: &Path, threads: &std::collections::HashMap<String, String>) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(threads).map_err(std::io::Error::other)?;
    write_atomically(&dir.join(THREADS), &bytes, false)
}

pub(super) fn load_support_rooms(dir: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read(dir.join(SUPPORT_ROOMS)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

pub(super) fn save_support_rooms(dir: &Path, rooms: &std::collections::BTreeSet<String>) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(rooms).map_err(std::io::Error::other)?;
    write_atomically(&dir.join(SUPPORT_ROOMS), &bytes, false)
}

/// Writes a file so that a crash leaves either the old or the new content.
fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp: PathBuf = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
