//! patlint's benchmark: wall time against the network's floor, CPU, memory, start-up
//! and binary size, beside a sequential curl loop over the same tokens.
//!
//! Run it with `./bench/run.sh` (which builds the release binary and installs moto).
//! Local servers with injected latency speak the GitHub, GitLab and Azure DevOps token
//! endpoints (wiremock), and moto's IAM sits behind a latency-injecting TCP proxy.
//! Each token costs at least one round trip, so with C requests in flight per host the
//! floor for N tokens is RTT × ceil(N / C); patlint's default C is 64. An AWS key costs
//! two sequential round trips (STS, then the IAM calls at once): its floor is twice that,
//! and its target the issue's own (10 keys at 50 ms ≤ 0.4 s).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CONCURRENCY: u64 = 64;
const SECRET: &str = "ghp_fakeBenchmark00000000000000000000000";

struct Args {
    patlint: PathBuf,
    runs: usize,
    sizes: Vec<u64>,
    moto: Option<PathBuf>,
}

fn args() -> Args {
    let mut args = Args {
        patlint: PathBuf::from("target/release/patlint"),
        runs: 5,
        sizes: vec![10, 100, 1000],
        moto: std::env::var_os("PATLINT_MOTO_SERVER").map(PathBuf::from),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--patlint" => args.patlint = PathBuf::from(it.next().expect("--patlint PATH")),
            "--runs" => args.runs = it.next().expect("--runs N").parse().expect("a number"),
            "--quick" => args.sizes = vec![10, 100],
            "--moto" => args.moto = Some(PathBuf::from(it.next().expect("--moto PATH"))),
            other => panic!(
                "unknown argument {other}; known: --patlint PATH, --runs N, --quick, --moto PATH"
            ),
        }
    }
    args
}

/// One measured run of a child process: wall time, and the kernel's account of its
/// CPU time and peak memory (wait4's rusage).
struct Measure {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
    code: i32,
}

/// Runs the command under GNU time, which reports the peak RSS of patlint alone: a
/// process exec'd straight from this (large) harness would inherit the harness's
/// high-water mark in `ru_maxrss`. Wall and CPU time come from wait4 on `time`, whose
/// rusage includes the child it waited for.
fn measure(cmd: &mut Command) -> Measure {
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(rss_file.path())
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let child = timed.spawn().expect("/usr/bin/time starts");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 is given pointers to our locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert!(waited > 0, "wait4 failed");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    let max_rss_kib = std::fs::read_to_string(rss_file.path())
        .ok()
        .and_then(|text| text.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(-1);
    Measure {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib,
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
    }
}

/// The run with the median wall time.
fn median(mut runs: Vec<Measure>) -> Measure {
    runs.sort_by_key(|m| m.wall);
    let mid = runs.len() / 2;
    runs.swap_remove(mid)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        ms(d)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cores} cores, {cpu}")
}

struct Row {
    label: String,
    n: u64,
    latency_ms: u64,
    /// Sequential round trips a token needs at least (AWS: STS, then IAM).
    round_trips: u64,
    patlint: Measure,
    curl: Option<Duration>,
}

impl Row {
    fn floor(&self) -> Duration {
        Duration::from_millis(self.round_trips * self.latency_ms * self.n.div_ceil(CONCURRENCY))
    }

    fn markdown(&self) -> String {
        let floor = self.floor();
        let (ratio, target) = if self.latency_ms == 0 {
            ("—".to_owned(), String::new())
        } else if self.round_trips > 1 {
            let ratio = self.patlint.wall.as_secs_f64() / self.floor().as_secs_f64();
            let target = if self.n == 10 {
                let met = if self.patlint.wall <= Duration::from_millis(400) {
                    "✓"
                } else {
                    "✗"
                };
                format!("AWS target: {met} ≤ 400 ms")
            } else {
                "— (moto-bound)".to_owned()
            };
            (format!("{ratio:.2}"), target)
        } else {
            let ratio = self.patlint.wall.as_secs_f64() / floor.as_secs_f64();
            let bound = floor.mul_f64(1.25) + Duration::from_millis(40);
            let met = if self.patlint.wall <= bound {
                "✓"
            } else {
                "✗"
            };
            (format!("{ratio:.2}"), format!("{met} ≤ {}", secs(bound)))
        };
        let cpu_per_token = self.patlint.cpu.as_secs_f64() * 1000.0 / self.n as f64;
        format!(
            "| {} | {} | {} ms | {} | {:.1} MB | {:.3} ms | {} | {} | {} | {} | {} |",
            self.label,
            self.n,
            self.latency_ms,
            secs(self.patlint.wall),
            self.patlint.max_rss_kib as f64 / 1024.0,
            cpu_per_token,
            if self.latency_ms == 0 {
                "0".into()
            } else {
                secs(floor)
            },
            ratio,
            target,
            self.curl.map(secs).unwrap_or_else(|| "—".into()),
            if self.patlint.code == 0 {
                "0"
            } else {
                "≠0 !"
            },
        )
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Host {
    Github,
    Gitlab,
    Azure,
}

impl Host {
    fn name(self) -> &'static str {
        match self {
            Host::Github => "github",
            Host::Gitlab => "gitlab",
            Host::Azure => "azure-devops",
        }
    }
}

/// Servers speaking one host's token endpoints with `latency` added to every answer.
async fn servers(host: Host, latency: Duration) -> Vec<MockServer> {
    let server = MockServer::start().await;
    let answer = |body: serde_json::Value| {
        ResponseTemplate::new(200)
            .set_delay(latency)
            .set_body_json(body)
    };
    match host {
        Host::Github => {
            Mock::given(method("GET"))
                .and(path("/user"))
                .respond_with(
                    answer(serde_json::json!({"login": "bench"}))
                        .insert_header("X-OAuth-Scopes", "repo")
                        .insert_header(
                            "GitHub-Authentication-Token-Expiration",
                            "2031-01-01 00:00:00 UTC",
                        ),
                )
                .mount(&server)
                .await;
            vec![server]
        }
        Host::Gitlab => {
            Mock::given(method("GET"))
                .and(path("/api/v4/personal_access_tokens/self"))
                .respond_with(answer(serde_json::json!({
                    "id": 4, "name": "bench", "revoked": false, "created_at": "2026-11-01T00:00:00Z",
                    "scopes": ["api"], "user_id": 3, "last_used_at": null, "active": true, "expires_at": "2027-01-15"
                })))
                .mount(&server)
                .await;
            vec![server]
        }
        Host::Azure => {
            Mock::given(method("GET"))
                .and(path_regex("^/org/_apis/connectionData$"))
                .respond_with(answer(
                    serde_json::json!({"authenticatedUser": {"id": "x"}}),
                ))
                .mount(&server)
                .await;
            let profile = MockServer::start().await;
            Mock::given(path("/_apis/profile/profiles/me"))
                .respond_with(ResponseTemplate::new(401).set_delay(latency))
                .mount(&profile)
                .await;
            vec![server, profile]
        }
    }
}

fn policy(host: Host, n: u64, servers: &[MockServer]) -> String {
    let mut text = String::from("version = 1\n");
    for i in 0..n {
        text.push_str(&format!(
            "\n[[token]]\nname = \"t{i}\"\nhost = \"{}\"\nsecret = {{ env = \"BENCH_PAT\" }}\n",
            host.name()
        ));
        match host {
            Host::Github | Host::Gitlab => {
                text.push_str(&format!("url = \"{}\"\n", servers[0].uri()))
            }
            Host::Azure => text.push_str(&format!(
                "organization = \"org\"\nurl = \"{}\"\nprofile_url = \"{}\"\n",
                servers[0].uri(),
                servers[1].uri()
            )),
        }
    }
    text
}

fn curl_loop(host: Host, n: u64, servers: &[MockServer]) -> Duration {
    let url = match host {
        Host::Github => format!("{}/user", servers[0].uri()),
        Host::Gitlab => format!("{}/api/v4/personal_access_tokens/self", servers[0].uri()),
        Host::Azure => format!("{}/org/_apis/connectionData", servers[0].uri()),
    };
    let start = Instant::now();
    for _ in 0..n {
        let status = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-H",
                &format!("Authorization: Bearer {SECRET}"),
                &url,
            ])
            .status()
            .expect("curl runs");
        assert!(status.success());
    }
    start.elapsed()
}

fn check(patlint: &Path, policy_file: &Path, env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(patlint);
    cmd.env_clear()
        .envs(env.iter().cloned())
        .args([
            "check",
            "--now",
            "2026-11-24",
            "--format",
            "json",
            "--policy",
        ])
        .arg(policy_file);
    cmd
}

/// Adds `latency` to each chunk the client sends, so that every request costs one more
/// round trip's worth of time: moto behind the same latency as the HTTP hosts.
async fn latency_proxy(upstream: SocketAddr, latency: Duration) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let up = async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut buffer = vec![0u8; 64 * 1024];
                    while let Ok(read) = client_read.read(&mut buffer).await {
                        if read == 0 {
                            break;
                        }
                        tokio::time::sleep(latency).await;
                        if server_write.write_all(&buffer[..read]).await.is_err() {
                            break;
                        }
                    }
                    let _ = server_write.shutdown().await;
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                };
                tokio::join!(up, down);
            });
        }
    });
    address
}

struct Moto(std::process::Child, SocketAddr);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_moto(binary: &Path) -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(address).is_err() {
        assert!(Instant::now() < deadline, "moto did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto(child, address)
}

/// N IAM users with one key each, in moto; returns the key pairs.
async fn moto_keys(moto: SocketAddr, n: u64) -> Vec<(String, String)> {
    let config = aws_sdk_iam::config::Builder::new()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "bench",
        ))
        .endpoint_url(format!("http://{moto}"))
        .build();
    let iam = aws_sdk_iam::Client::from_conf(config);
    let _ = reqwest::Client::new()
        .post(format!("http://{moto}/moto-api/reset"))
        .send()
        .await;
    let mut keys = Vec::new();
    for i in 0..n {
        let user = format!("bench-{i}");
        iam.create_user().user_name(&user).send().await.unwrap();
        let key = iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        let key = key.access_key().unwrap();
        keys.push((
            key.access_key_id().to_owned(),
            key.secret_access_key().to_owned(),
        ));
    }
    keys
}

fn aws_curl_loop(proxy: SocketAddr, keys: &[(String, String)]) -> Duration {
    let start = Instant::now();
    for (id, secret) in keys {
        let status = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "--aws-sigv4",
                "aws:amz:us-east-1:iam",
                "--user",
            ])
            .arg(format!("{id}:{secret}"))
            .args(["-d", "Action=ListAccessKeys&Version=2010-05-08"])
            .arg(format!("http://{proxy}/"))
            .status()
            .expect("curl runs");
        assert!(status.success());
    }
    start.elapsed()
}

#[tokio::main]
async fn main() {
    let args = args();
    assert!(
        args.patlint.is_file(),
        "{} is missing: build it with `cargo build --release`",
        args.patlint.display()
    );
    let work = tempfile::tempdir().unwrap();
    println!(
        "# patlint benchmark\n\nMachine: {}. patlint: `{}`, median of {} runs. Floor = RTT × ceil(N / {CONCURRENCY}).\n",
        machine(),
        args.patlint.display(),
        args.runs
    );

    // Start-up and size.
    let version = median(
        (0..30)
            .map(|_| measure(Command::new(&args.patlint).arg("--version")))
            .collect(),
    );
    let ten = work.path().join("ten.toml");
    let mut text = String::from("version = 1\nextends = [\"builtin:git-integration-for-jira\"]\n");
    for i in 0..10 {
        text.push_str(&format!(
            "[[token]]\nname = \"t{i}\"\nhost = \"github\"\nsecret = {{ env = \"T{i}\" }}\n"
        ));
    }
    std::fs::write(&ten, text).unwrap();
    let validate = median(
        (0..30)
            .map(|_| {
                measure(
                    Command::new(&args.patlint)
                        .arg("validate")
                        .arg("--policy")
                        .arg(&ten),
                )
            })
            .collect(),
    );
    let size = std::fs::metadata(&args.patlint).unwrap().len();
    let mark = |ok: bool| if ok { "✓" } else { "✗" };
    println!("| measure | value | target |\n|---|---|---|");
    println!(
        "| `patlint --version` | {} | {} ≤ 5 ms |",
        ms(version.wall),
        mark(version.wall <= Duration::from_millis(5))
    );
    println!(
        "| `patlint validate` (10 tokens) | {} | {} ≤ 10 ms |",
        ms(validate.wall),
        mark(validate.wall <= Duration::from_millis(10))
    );
    println!(
        "| release binary (stripped) | {:.1} MB | {} ≤ 20 MB |\n",
        size as f64 / 1e6,
        mark(size <= 20_000_000)
    );

    println!(
        "| host | N | latency | patlint (median) | peak RSS | CPU / token | floor | ratio | wall ≤ 1.25 × floor + 40 ms | curl loop | exit |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let env = vec![("BENCH_PAT".to_owned(), SECRET.to_owned())];
    for host in [Host::Github, Host::Gitlab, Host::Azure] {
        for latency_ms in [0u64, 50] {
            let servers = servers(host, Duration::from_millis(latency_ms)).await;
            for &n in &args.sizes {
                let file = work.path().join(format!("{}-{n}.toml", host.name()));
                std::fs::write(&file, policy(host, n, &servers)).unwrap();
                let patlint = args.patlint.clone();
                let env = env.clone();
                let runs = args.runs;
                let result = tokio::task::spawn_blocking(move || {
                    median(
                        (0..runs)
                            .map(|_| measure(&mut check(&patlint, &file, &env)))
                            .collect(),
                    )
                })
                .await
                .unwrap();
                let servers_ref = &servers;
                let curl = tokio::task::block_in_place(|| curl_loop(host, n, servers_ref));
                let row = Row {
                    label: host.name().into(),
                    n,
                    latency_ms,
                    round_trips: 1,
                    patlint: result,
                    curl: Some(curl),
                };
                println!("{}", row.markdown());
            }
        }
    }

    let Some(moto_binary) = args.moto.filter(|m| m.is_file()) else {
        println!("\nAWS rows skipped: moto is not installed (bench/run.sh installs it).");
        return;
    };
    let moto = start_moto(&moto_binary);
    for (n, latency_ms) in [(10u64, 0u64), (10, 50), (100, 0), (100, 50)] {
        let keys = moto_keys(moto.1, n).await;
        let proxy = latency_proxy(moto.1, Duration::from_millis(latency_ms)).await;
        let mut text = String::from("version = 1\n");
        let mut env = vec![
            ("AWS_ENDPOINT_URL".to_owned(), format!("http://{proxy}")),
            ("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()),
            ("HOME".to_owned(), work.path().display().to_string()),
        ];
        for (i, (id, secret)) in keys.iter().enumerate() {
            text.push_str(&format!("\n[[token]]\nname = \"k{i}\"\nhost = \"aws-iam\"\naccess_key_id = {{ env = \"AK{i}\" }}\nsecret = {{ env = \"SK{i}\" }}\nmax_lifespan = \"90d\"\n"));
            env.push((format!("AK{i}"), id.clone()));
            env.push((format!("SK{i}"), secret.clone()));
        }
        let file = work.path().join(format!("aws-{n}-{latency_ms}.toml"));
        std::fs::write(&file, text).unwrap();
        let patlint = args.patlint.clone();
        let runs = args.runs;
        let result = tokio::task::spawn_blocking(move || {
            median(
                (0..runs)
                    .map(|_| measure(&mut check(&patlint, &file, &env)))
                    .collect(),
            )
        })
        .await
        .unwrap();
        let curl = tokio::task::block_in_place(|| aws_curl_loop(proxy, &keys));
        let row = Row {
            label: "aws-iam (moto)".into(),
            n,
            latency_ms,
            round_trips: 2,
            patlint: result,
            curl: Some(curl),
        };
        println!("{}", row.markdown());
    }
}
