//! A real Synapse for the Matrix tests: installed from PyPI into a virtual
//! environment cached under the target directory (once, behind a file lock,
//! so concurrent test binaries install it once), configured for 127.0.0.1
//! only with SQLite, a registration shared secret and relaxed rate limits,
//! and started once per test binary. A watchdog stops it when the test
//! process ends, also when a test fails or panics.
//!
//! Without python3 (with venv) the tests fail and say what to install: they
//! never skip silently.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The Synapse release the tests run against.
const SYNAPSE: &str = "matrix-synapse==1.163.2";
/// The server name of every test user (`@alice-1:localhost`).
pub const SERVER: &str = "localhost";
const SECRET: &str = "attune-test-registration-secret";

pub struct Synapse {
    pub url: String,
    dir: PathBuf,
    python: PathBuf,
    _child: Child,
}

static RUNNING: OnceLock<Synapse> = OnceLock::new();

/// The one Synapse of this test binary, started on first use.
pub fn synapse() -> &'static Synapse {
    RUNNING.get_or_init(start)
}

fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// The venv's python, installing Synapse into it first if needed.
fn installed() -> PathBuf {
    let venv = tmp().join("synapse-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join(".attune-installed");
    std::fs::create_dir_all(tmp()).unwrap();
    let lock = std::fs::File::create(tmp().join("synapse-venv.lock")).unwrap();
    lock.lock().expect("the venv lock");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == SYNAPSE) {
        return python;
    }
    let has_python = Command::new("python3").args(["-c", "import venv, ensurepip"]).status().is_ok_and(|s| s.success());
    assert!(
        has_python,
        "The Matrix tests run a real Synapse and need python3 with the venv module \
         (Debian/Ubuntu: apt-get install python3 python3-venv). Nothing was skipped."
    );
    let _ = std::fs::remove_dir_all(&venv);
    let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success());
    assert!(ok, "python3 -m venv {} failed; install python3-venv", venv.display());
    let started = Instant::now();
    let out =
        Command::new(venv.join("bin").join("pip")).args(["install", "--quiet", "--disable-pip-version-check", SYNAPSE]).output().unwrap();
    assert!(out.status.success(), "installing {SYNAPSE} from PyPI failed:\n{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("installed {SYNAPSE} in {:.0?}", started.elapsed());
    std::fs::write(&marker, SYNAPSE).unwrap();
    python
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    let limit = "{per_second: 1000, burst_count: 1000}";
    format!(
        r#"server_name: "{SERVER}"
pid_file: "{d}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{d}/homeserver.db"
log_config: "{d}/log.yaml"
media_store_path: "{d}/media"
signing_key_path: "{d}/signing.key"
registration_shared_secret: "{SECRET}"
macaroon_secret_key: "attune-test-macaroon"
form_secret: "attune-test-form"
report_stats: false
enable_registration: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
bcrypt_rounds: 4
presence:
  enabled: false
rc_message: {limit}
rc_registration: {limit}
rc_registration_token_validity: {limit}
rc_login:
  address: {limit}
  account: {limit}
  failed_attempts: {limit}
rc_admin_redaction: {limit}
rc_joins:
  local: {limit}
  remote: {limit}
rc_joins_per_room: {limit}
rc_3pid_validation: {limit}
rc_invites:
  per_room: {limit}
  per_user: {limit}
  per_issuer: {limit}
rc_room_creation: {limit}
rc_key_requests: {limit}
rc_delayed_event_mgmt: {limit}
rc_reports: {limit}
modules:
  - module: attune_test_refusals.ClosedPrivateLines
    config: {{}}
"#
    )
}

const LOG: &str = "version: 1
formatters:
  plain:
    format: '%(asctime)s %(levelname)s %(name)s %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: plain
    filename: LOGFILE
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
";

/// A Synapse module (on the server's PYTHONPATH): members named `closed-…`
/// refuse invites from attune's test bots (`…-attune`), as a member whose
/// settings or homeserver decline invitations from strangers would. Synapse
/// answers such an invite with 403 M_FORBIDDEN, as it does for any refusal.
const REFUSALS: &str = r#"
from synapse.module_api import NOT_SPAM
from synapse.module_api.errors import Codes


class ClosedPrivateLines:
    def __init__(self, config, api):
        api.register_spam_checker_callbacks(user_may_invite=self.user_may_invite)

    async def user_may_invite(self, inviter, invitee, room_id):
        if invitee.startswith("@closed-") and inviter.split(":")[0].endswith("-attune"):
            return Codes.FORBIDDEN
        return NOT_SPAM
"#;

/// Runs Synapse under a watchdog that stops it when this test process ends,
/// then removes its files (the first argument).
const WATCHDOG: &str = r#"
import os, shutil, subprocess, sys, time
parent = os.getppid()
child = subprocess.Popen(sys.argv[2:])
try:
    while child.poll() is None:
        if os.getppid() != parent:
            break
        time.sleep(0.2)
finally:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
    shutil.rmtree(sys.argv[1], ignore_errors=True)
"#;

fn start() -> Synapse {
    let python = installed();
    let dir = tmp().join(format!("synapse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let port = free_port();
    let cfg = dir.join("homeserver.yaml");
    std::fs::write(&cfg, config(&dir, port)).unwrap();
    // ATTUNE_SYNAPSE_LOG=INFO keeps Synapse's access log (each request's time), for a look at a benchmark.
    let level = std::env::var("ATTUNE_SYNAPSE_LOG").unwrap_or_else(|_| "WARNING".into());
    let log =
        LOG.replace("LOGFILE", &dir.join("homeserver.log").display().to_string()).replace("level: WARNING", &format!("level: {level}"));
    std::fs::write(dir.join("log.yaml"), log).unwrap();
    std::fs::write(dir.join("attune_test_refusals.py"), REFUSALS).unwrap();
    let keys = Command::new(&python)
        .args(["-m", "synapse.app.homeserver", "--generate-keys", "-c"])
        .arg(&cfg)
        .env("SQLITE_TMPDIR", dir.join("tmp"))
        .env("PYTHONPATH", &dir)
        .output()
        .unwrap();
    assert!(keys.status.success(), "synapse --generate-keys failed:\n{}", String::from_utf8_lossy(&keys.stderr));
    let child = Command::new(&python)
        .arg("-c")
        .arg(WATCHDOG)
        .arg(&dir)
        .arg(&python)
        .args(["-m", "synapse.app.homeserver", "-c"])
        .arg(&cfg)
        .env("SQLITE_TMPDIR", dir.join("tmp"))
        .env("PYTHONPATH", &dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while !versions_ok(port) {
        assert!(started.elapsed() < Duration::from_secs(60), "Synapse did not start within 60 s; see {}", dir.join("stderr.log").display());
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("Synapse answered at {url} after {:.1?}", started.elapsed());
    Synapse { url, dir, python, _child: child }
}

/// Whether `GET /_matrix/client/versions` answers 200.
fn versions_ok(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_matrix/client/versions HTTP/1.0\r\nHost: localhost\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.0 200")
}

const REGISTER: &str = r#"
import hashlib, hmac, json, sys, urllib.request
url, secret, user, password, admin = sys.argv[1:6]
base = url + "/_synapse/admin/v1/register"
nonce = json.load(urllib.request.urlopen(base))["nonce"]
mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode(), b"admin" if admin == "1" else b"notadmin"]))
body = json.dumps({"nonce": nonce, "username": user, "password": password, "admin": admin == "1", "mac": mac.hexdigest()}).encode()
req = urllib.request.Request(base, data=body, headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["user_id"])
"#;

/// Signs a device out through Synapse's admin API (which revokes its access
/// tokens), as an admin who is registered and logged in first.
const DELETE_DEVICE: &str = r#"
import hashlib, hmac, json, sys, urllib.request, urllib.parse
url, secret, admin, password, user, device = sys.argv[1:7]
base = url + "/_synapse/admin/v1/register"
nonce = json.load(urllib.request.urlopen(base))["nonce"]
mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
mac.update(b"\x00".join([nonce.encode(), admin.encode(), password.encode(), b"admin"]))
body = json.dumps({"nonce": nonce, "username": admin, "password": password, "admin": True, "mac": mac.hexdigest()}).encode()
urllib.request.urlopen(urllib.request.Request(base, data=body, headers={"Content-Type": "application/json"}))
login = json.dumps({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": admin}, "password": password}).encode()
token = json.load(urllib.request.urlopen(urllib.request.Request(url + "/_matrix/client/v3/login", data=login, headers={"Content-Type": "application/json"})))["access_token"]
path = url + "/_synapse/admin/v2/users/" + urllib.parse.quote(user) + "/devices/" + urllib.parse.quote(device)
urllib.request.urlopen(urllib.request.Request(path, method="DELETE", headers={"Authorization": "Bearer " + token}))
print("deleted")
"#;

/// Registers `count` users named `PREFIX-N` through the shared-secret admin API
/// and joins each to a room (public, or one they can join), then, if given, joins
/// one more existing user by password. Prints how many joined.
const CROWD: &str = r#"
import hashlib, hmac, json, sys, urllib.request, urllib.parse
url, secret, prefix, count, room = sys.argv[1:6]
extra = sys.argv[6:8]
def post(path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers=headers)
    return json.load(urllib.request.urlopen(req))
joined = 0
for n in range(int(count)):
    base = "/_synapse/admin/v1/register"
    nonce = json.load(urllib.request.urlopen(url + base))["nonce"]
    user, password = "%s-%d" % (prefix, n), "pw-crowd-%d" % n
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode(), b"notadmin"]))
    token = post(base, {"nonce": nonce, "username": user, "password": password, "admin": False, "mac": mac.hexdigest()})["access_token"]
    post("/_matrix/client/v3/join/" + urllib.parse.quote(room), {}, token)
    joined += 1
if extra:
    login = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": extra[0]}, "password": extra[1]}
    token = post("/_matrix/client/v3/login", login)["access_token"]
    post("/_matrix/client/v3/join/" + urllib.parse.quote(room), {}, token)
    post("/_matrix/client/v3/logout", {}, token)
    joined += 1
print(joined)
"#;

/// Sets one user's message rate limit through the admin API (as a homeserver
/// that doesn't exempt bots would), as an admin registered and logged in first.
const LIMIT: &str = r#"
import hashlib, hmac, json, sys, urllib.request, urllib.parse
url, secret, admin, password, user, per_second, burst = sys.argv[1:8]
base = url + "/_synapse/admin/v1/register"
nonce = json.load(urllib.request.urlopen(base))["nonce"]
mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
mac.update(b"\x00".join([nonce.encode(), admin.encode(), password.encode(), b"admin"]))
body = json.dumps({"nonce": nonce, "username": admin, "password": password, "admin": True, "mac": mac.hexdigest()}).encode()
token = json.load(urllib.request.urlopen(urllib.request.Request(base, data=body, headers={"Content-Type": "application/json"})))["access_token"]
path = url + "/_synapse/admin/v1/users/" + urllib.parse.quote(user) + "/override_ratelimit"
limits = json.dumps({"messages_per_second": int(per_second), "burst_count": int(burst)}).encode()
urllib.request.urlopen(urllib.request.Request(path, data=limits, method="POST", headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"}))
print("limited")
"#;

impl Synapse {
    /// `count` new users `PREFIX-N` join `room` (which must let them: public), and
    /// then `also` (an existing user id and password), if given.
    #[allow(dead_code)]
    pub fn crowd(&self, prefix: &str, count: usize, room: &str, also: Option<(&str, &str)>) -> usize {
        let mut cmd = Command::new(&self.python);
        cmd.arg("-c").arg(CROWD).args([&self.url, SECRET, prefix, &count.to_string(), room]);
        if let Some((user, password)) = also {
            cmd.args([user, password]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "the crowd could not join:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    /// Signs `user`'s `device` out through the admin API, revoking its access
    /// token; `admin` names a new admin account made for it.
    #[allow(dead_code)]
    pub fn revoke_device(&self, admin: &str, user: &str, device: &str) {
        let out = Command::new(&self.python)
            .arg("-c")
            .arg(DELETE_DEVICE)
            .args([&self.url, SECRET, admin, "pw-admin-secret", user, device])
            .output()
            .unwrap();
        assert!(out.status.success(), "signing {user}'s device out failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Limits how fast `user` may send messages (per second, and a burst).
    #[allow(dead_code)]
    pub fn limit_messages(&self, admin: &str, user: &str, per_second: u32, burst: u32) {
        let out = Command::new(&self.python)
            .arg("-c")
            .arg(LIMIT)
            .args([&self.url, SECRET, admin, "pw-admin-secret", user, &per_second.to_string(), &burst.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "limiting {user} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Registers a user through the shared-secret admin API (HMAC-SHA1 over
    /// nonce, name, password and admin flag). Returns the user id.
    pub fn register(&self, user: &str, password: &str) -> String {
        let out = Command::new(&self.python).arg("-c").arg(REGISTER).args([&self.url, SECRET, user, password, "0"]).output().unwrap();
        assert!(out.status.success(), "registering {user} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Where Synapse keeps its files for this test binary.
    #[allow(dead_code)]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
