//! SIGTERM stops the real binary quickly: requests in flight are answered, idle keep-alive
//! connections and a client that stalls in the middle of its upload do not hold it up, and
//! background jobs end with it, all within 5 seconds.
use std::io::Write;
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

#[tokio::test]
async fn sigterm_stops_the_server_within_five_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::helpers::unused_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_teilhabe"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TEILHABE_DATA_DIR", dir.path())
        .env("TEILHABE_BIND", format!("127.0.0.1:{port}"))
        .env("TEILHABE_DEMO", "false")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let health = format!("http://127.0.0.1:{port}/health");
    let started = Instant::now();
    loop {
        if let Ok(res) = client.get(&health).send().await
            && res.status() == 200
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Several idle keep-alive connections, as browsers and load balancers keep them.
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (client, url) = (client.clone(), format!("http://127.0.0.1:{port}/"));
        requests.spawn(async move { client.get(url).send().await.map(|r| r.status()) });
    }
    for status in requests.join_all().await {
        assert_eq!(status.unwrap(), 200);
    }

    // A form upload that stalls half-way: its request stays in flight until the server gives up on
    // it (before, that took the whole 10 s grace period).
    let mut stalled = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stalled
        .write_all(
            b"POST /barriere-melden HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n\
              description=halb",
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A request in flight when the signal arrives is still answered.
    let in_flight = {
        let (client, url) = (client.clone(), format!("http://127.0.0.1:{port}/kurse"));
        tokio::spawn(async move { client.get(url).send().await.map(|r| r.status()) })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    let signalled = Instant::now();
    // SAFETY: sends a signal to the child this test started.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(15) {
            child.kill().unwrap();
            panic!("still running 15 s after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = signalled.elapsed();
    assert!(status.success(), "exit status {status:?}");
    assert!(took < Duration::from_secs(5), "took {took:?} to stop");
    if let Ok(answered) = in_flight.await.unwrap() {
        assert_eq!(answered, 200);
    }
}
