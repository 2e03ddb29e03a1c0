//! A service's container on the host network, listening on 127.0.0.1 only: how the attack
//! suite and the benchmark reach the service itself. Through a published port, Docker's
//! userland proxy would hold the clients' sockets and spend the CPU outside the container's
//! limits, and a load would measure the proxy.

use anyhow::{Result, bail};
use cargo_microservice::docker::{self, Container};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

/// How long a service may take to answer its first probe.
const START_WITHIN: Duration = Duration::from_secs(30);

/// A running service on the host network, removed when dropped.
pub struct OnLoopback {
    pub container: Container,
    /// The main listener's port on 127.0.0.1.
    pub port: u16,
    /// The admin listener's port on 127.0.0.1 (the template's `ADMIN_PORT`).
    pub admin_port: u16,
}

impl OnLoopback {
    /// Starts `image` under the compose file's limits and hardening, on free loopback ports,
    /// with `env` (`KEY=value` each) on top. The address is given every way the services here
    /// read it: `HOST`, `PORT` and `ADMIN_PORT` (the template), `BIND` (the seed baseline and
    /// the ceiling). Returns once the container runs; see [`wait_for_200`].
    pub fn start(image: &str, env: &[String]) -> Result<OnLoopback> {
        Self::start_with(image, env, &[])
    }

    /// `start` with more `docker run` options (`--cpuset-cpus 1`, say) before the image.
    pub fn start_with(image: &str, env: &[String], docker_args: &[&str]) -> Result<OnLoopback> {
        // Both held until both are known, so they differ; released just before the service binds.
        let main = TcpListener::bind("127.0.0.1:0")?;
        let admin = TcpListener::bind("127.0.0.1:0")?;
        let (port, admin_port) = (main.local_addr()?.port(), admin.local_addr()?.port());
        drop((main, admin));
        let address = [
            "HOST=127.0.0.1".to_owned(),
            format!("PORT={port}"),
            format!("ADMIN_PORT={admin_port}"),
            format!("BIND=127.0.0.1:{port}"),
        ];
        let mut args = vec!["run", "--detach", "--network", "host"];
        args.extend(docker::AS_COMPOSE_RUNS_IT);
        for pair in address.iter().chain(env) {
            args.extend(["--env", pair.as_str()]);
        }
        args.extend(docker_args);
        args.push(image);
        let container = Container {
            id: docker::docker_ok(&args)?,
        };
        Ok(OnLoopback {
            container,
            port,
            admin_port,
        })
    }
}

/// Waits until `GET path` on loopback `port` answers 200, at most 30 s; the error carries the
/// container's last log lines.
pub fn wait_for_200(container: &Container, port: u16, path: &str) -> Result<()> {
    let deadline = Instant::now() + START_WITHIN;
    while !matches!(docker::http_get(port, path), Ok((200, _))) {
        if Instant::now() > deadline {
            bail!(
                "no 200 on {path} (port {port}) within {START_WITHIN:?}: {}",
                container.logs_tail(20)
            );
        }
        thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}
