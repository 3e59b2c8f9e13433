//! Start-up shared by `serve`, `demo`, the tests and the benchmarks: open the database,
//! migrate, create the first administrator, bind, serve until told to stop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use guanxi_services::identity::FirstAdmin;
use guanxi_services::{Crm, SystemClock};
use guanxi_storage::Database;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Opens (and migrates) the database named by `url`, or the SQLite file in `data_dir`.
pub async fn open(url: Option<&str>, data_dir: &Path) -> anyhow_lite::Result<Crm> {
    let db = Database::connect(url, data_dir).await?;
    Ok(Crm::open(db, Arc::new(SystemClock))
        .await?
        .with_data_dir(data_dir))
}

/// A server running in this process.
pub struct Running {
    pub addr: SocketAddr,
    pub crm: Crm,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        self.crm.close_search();
        self.crm.db().close().await;
    }

    /// Waits until the server ends (it ends on its own only on error). Call once.
    pub async fn join(&mut self) -> std::io::Result<()> {
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Serves the application on an already-bound listener until `stop` fires, keeping the
/// node's search index current.
pub fn spawn(crm: Crm, listener: TcpListener) -> std::io::Result<Running> {
    serve(crm, listener, true)
}

/// `spawn`, with or without the search indexer (benchmarks of other things leave it out).
pub fn serve(crm: Crm, listener: TcpListener, search: bool) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let indexer = if search {
        crm.open_search(guanxi_core::Locale::En)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Some(tokio::spawn(crm.clone().run_indexer()))
    } else {
        None
    };
    let (tx, rx) = oneshot::channel::<()>();
    let app = crate::api::router(crm.clone());
    let refresher = crm.clone();
    // Another node may change metadata or permissions: look for new versions every two seconds.
    let refresh = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            if let Err(e) = refresher.refresh_schema().await {
                tracing::warn!(error = %e, "metadata refresh failed");
            }
            if let Err(e) = refresher.refresh_policy().await {
                tracing::warn!(error = %e, "permission refresh failed");
            }
            if let Err(e) = refresher.refresh_definitions().await {
                tracing::warn!(error = %e, "definition refresh failed");
            }
        }
    });
    // Customers whose deals or quotes changed are checked for channel conflicts.
    let checks = tokio::spawn(crm.clone().run_conflict_checks());
    // Activities about to start remind their people.
    let reminders = tokio::spawn(crm.clone().run_reminders());
    // Cases near or past their service level targets warn and escalate.
    let service_levels = tokio::spawn(crm.clone().run_service_levels());
    // Customers are regraded into tiers as revenue and contracts come and go.
    let tiers = tokio::spawn(crm.clone().run_tiers());
    // Queued mail goes out, when a mail server is configured.
    let mail = crm.mail().is_some().then(|| tokio::spawn(crm.clone().run_mail()));
    // Planner statistics follow the data: shortly after start, then every ten minutes.
    let analyser = crm.clone();
    let statistics = tokio::spawn(async move {
        let mut wait = Duration::from_secs(30);
        loop {
            tokio::time::sleep(wait).await;
            wait = Duration::from_secs(600);
            match analyser.refresh_statistics().await {
                Ok(tables) if !tables.is_empty() => tracing::info!(?tables, "planner statistics refreshed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "refreshing planner statistics failed"),
            }
        }
    });
    let task = tokio::spawn(async move {
        let r = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        refresh.abort();
        statistics.abort();
        checks.abort();
        reminders.abort();
        service_levels.abort();
        tiers.abort();
        if let Some(m) = mail {
            m.abort();
        }
        if let Some(i) = indexer {
            i.abort();
        }
        r
    });
    Ok(Running {
        addr,
        crm,
        stop: Some(tx),
        task,
    })
}

pub async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Creates the first administrator on an empty database, printing a generated password once.
pub async fn first_admin(
    crm: &Crm,
    email: Option<&str>,
    password: Option<&str>,
) -> anyhow_lite::Result<Option<FirstAdmin>> {
    Ok(crm.ensure_first_admin(email, password).await?)
}

/// A tiny boxed error for the binary's edges (CLI and start-up); the library layers keep typed errors.
pub mod anyhow_lite {
    pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;
    pub type Result<T> = std::result::Result<T, Error>;
}
