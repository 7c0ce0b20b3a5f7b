//! Not a lesson: the task routes of lesson 9, hand-written on axum and sqlx,
//! with nothing between the handler and the driver. `cargo xtask bench http`
//! loads it beside a lesson binary, on the same schema and rows, so that "how
//! close to the limit of this stack" is a number anyone can measure.
//!
//! It answers what the bench asks (`GET /api/v1/tasks/{id}`, `GET
//! /api/v1/tasks` by offset and by cursor, `POST /api/v1/tasks`) exactly as
//! lesson 9 does, on a database that lesson 9's `migrate` made. It keeps no
//! logs and sets no request ids. On SQLite it writes through one connection
//! beside a pool of four readers; on PostgreSQL it has one pool of ten.
//!
//! Environment: `DATABASE_URL`, `HOST` (127.0.0.1), `PORT` (0 picks one). It
//! prints `{"message":"listening","addr":"…"}` once it listens.

mod db;
mod routes;

use std::net::SocketAddr;

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&format!("cannot start the runtime: {err}")),
    };
    match runtime.block_on(serve()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

fn fail(message: &str) -> std::process::ExitCode {
    eprintln!("error: {message}");
    std::process::ExitCode::FAILURE
}

async fn serve() -> Result<(), String> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set".to_owned())?;
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port = std::env::var("PORT").unwrap_or_else(|_| "0".to_owned());
    let db = db::Db::connect(&url).await.map_err(|err| err.to_string())?;
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}"))
        .await
        .map_err(|err| format!("cannot listen: {err}"))?;
    let addr: SocketAddr = listener.local_addr().map_err(|err| err.to_string())?;
    println!(
        "{}",
        serde_json::json!({"message": "listening", "addr": addr.to_string()})
    );
    let stop = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {},
            _ = tokio::signal::ctrl_c() => {},
        }
    };
    axum::serve(listener, routes::router(db))
        .with_graceful_shutdown(stop)
        .await
        .map_err(|err| err.to_string())
}
