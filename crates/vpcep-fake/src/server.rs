//! [`FakeServer`]: a fake on its own thread and Tokio runtime.

use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use crate::config::FakeConfig;
use crate::handle::FakeHandle;

/// A fake running on its own thread and Tokio runtime, so it works from synchronous and
/// asynchronous tests alike. Dereferences to its [`FakeHandle`]. Stops when dropped.
pub struct FakeServer {
    handle: FakeHandle,
    addr: SocketAddr,
    https: bool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Binds `config.listen`, indexes the data and starts serving; returns once the port
    /// accepts connections.
    pub fn start(config: FakeConfig) -> io::Result<FakeServer> {
        let listener = std::net::TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let grace = config.shutdown_grace;
        let https = config.tls.is_some();
        let workers = config.worker_threads.max(1);
        let handle = FakeHandle::new(config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("vpcep-fake")
            .enable_all()
            .build()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let serving = handle.clone();
        let thread = std::thread::Builder::new()
            .name("vpcep-fake".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("a fresh non-blocking listener");
                    let shutdown = async {
                        let _ = stop_rx.await;
                    };
                    serving.serve(listener, shutdown, grace).await;
                });
            })?;
        Ok(FakeServer {
            handle,
            addr,
            https,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://ADDR:PORT` (`https://` with TLS; no trailing slash).
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The handle controlling this fake.
    pub fn handle(&self) -> &FakeHandle {
        &self.handle
    }

    /// Stops serving and waits for the server thread to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::ops::Deref for FakeServer {
    type Target = FakeHandle;
    fn deref(&self) -> &FakeHandle {
        &self.handle
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
