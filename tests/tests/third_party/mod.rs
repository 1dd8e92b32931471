//! Third-party AWS emulators as child processes for `differential.rs`: moto (`moto_server`) and
//! ministack, each on a free loopback port, killed when the guard drops — also on a panic.

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The account every emulator in the differential tests answers as.
pub const ACCOUNT: &str = "111111111111";

/// How to install the third-party emulators (the project's test script does this).
const INSTALL_HINT: &str =
    "install the third-party emulators with: pip install 'moto[server]' ministack";

/// How long a third-party emulator may take to answer its health check.
const STARTUP: Duration = Duration::from_secs(40);

/// A running third-party emulator; dropping it kills the process.
pub struct ThirdParty {
    /// Its name, for messages.
    pub name: &'static str,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    child: Child,
    log: PathBuf,
}

impl Drop for ThirdParty {
    fn drop(&mut self) {
        // Kill and reap even while unwinding from a failed assertion: no orphaned servers.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto's server (`moto_server -H 127.0.0.1 -p PORT`), answering as [`ACCOUNT`].
pub async fn start_moto() -> ThirdParty {
    let port = free_port();
    let mut command = Command::new("moto_server");
    command
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_ACCOUNT_ID", ACCOUNT);
    start("moto_server", command, port, "/moto-api/").await
}

/// ministack (`ministack`, bound to loopback with `BIND_HOST`, port from `GATEWAY_PORT`),
/// answering as [`ACCOUNT`]. Only EKS, IAM and STS are loaded; its IoT and SFTP listeners
/// (which bind every interface on fixed ports) are off, and Docker is out of its reach so that
/// `CreateCluster` never starts a k3s container on a developer's machine.
pub async fn start_ministack() -> ThirdParty {
    let port = free_port();
    let mut command = Command::new("ministack");
    command
        .env("BIND_HOST", "127.0.0.1")
        .env("GATEWAY_PORT", port.to_string())
        .env("MINISTACK_ACCOUNT_ID", ACCOUNT)
        .env("MINISTACK_REGION", "eu-west-1")
        .env("SERVICES", "eks,iam,sts")
        .env("IOT_MTLS_ENABLED", "0")
        .env("SFTP_ENABLED", "0")
        .env(
            "DOCKER_HOST",
            "unix:///nonexistent/eks-sso-sync-tests/docker.sock",
        );
    start("ministack", command, port, "/_ministack/health").await
}

async fn start(name: &'static str, mut command: Command, port: u16, health: &str) -> ThirdParty {
    let log = std::env::temp_dir().join(format!("eks-sso-sync-{name}-{port}.log"));
    let out = File::create(&log).expect("log file");
    let err = out.try_clone().expect("log file");
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{name}` was not found on PATH; {INSTALL_HINT}")
        }
        Err(e) => panic!("cannot start `{name}`: {e}"),
    };
    let mut server = ThirdParty {
        name,
        endpoint: format!("http://127.0.0.1:{port}"),
        child,
        log,
    };
    wait_until_ready(&mut server, health).await;
    server
}

async fn wait_until_ready(server: &mut ThirdParty, health: &str) {
    let url = format!("{}{health}", server.endpoint);
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < STARTUP {
        if let Ok(Some(status)) = server.child.try_wait() {
            let output = std::fs::read_to_string(&server.log).unwrap_or_default();
            panic!(
                "`{}` exited with {status} before answering ({INSTALL_HINT}):\n{output}",
                server.name
            );
        }
        if let Ok(answer) = client.get(&url).send().await
            && answer.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "`{}` did not answer {url} within {STARTUP:?}; see {}",
        server.name,
        server.log.display()
    );
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
