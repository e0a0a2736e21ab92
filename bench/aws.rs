//! The AWS rows of the benchmark: moto's IAM with N users of one key each, behind a
//! latency-injecting TCP proxy. An AWS key costs two sequential round trips (STS, then
//! the IAM calls at once), so its floor is twice the HTTP hosts'; its target is 10 keys at
//! 50 ms in at most 0.4 s. With 100 keys moto (a Python server) is the bottleneck.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Adds `latency` to each chunk the client sends, so that every request costs one more
/// round trip's worth of time: moto behind the same latency as the HTTP hosts.
pub async fn latency_proxy(upstream: SocketAddr, latency: Duration) -> SocketAddr {
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

pub struct Moto(std::process::Child, pub SocketAddr);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn start_moto(binary: &Path) -> Moto {
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
pub async fn moto_keys(moto: SocketAddr, n: u64) -> Vec<(String, String)> {
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
