//! The HTTP server: the middleware every request passes through, binding,
//! `listening`, and graceful shutdown.
//!
//! Outside in, each request meets: an in-flight counter (for shutdown), the
//! request id (kept if valid, else a new UUID), the request span and its
//! completion event, the error envelope, the panic catcher. (The body limit
//! is enforced where bodies are read: [`crate::extract::ValidJson`].)

use std::{
    future::Future,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::{MatchedPath, Request},
    middleware::{self, Next},
    response::Response,
};
use tokio::{net::TcpListener, sync::Notify, time::Instant};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};
use tracing::Span;

use crate::{
    error::{self, ApiError, ErrorCode},
    faults,
    request_id::{self, NewRequestId, REQUEST_ID},
    state::AppState,
};

/// Requests being handled right now; shutdown reports those it had to cut off.
#[derive(Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Counts one request until the guard is dropped.
    fn enter(&self) -> Counted {
        self.0.fetch_add(1, Ordering::SeqCst);
        Counted(self.0.clone())
    }
}

/// One request counted in [`InFlight`].
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The outermost middleware: counts the request while it runs, and drops a
/// client request id that is not valid, so that a new one is made.
async fn outermost(in_flight: InFlight, mut request: Request, next: Next) -> Response {
    let _counted = in_flight.enter();
    request_id::drop_invalid(&mut request);
    next.run(request).await
}

/// The lesson's routes wrapped in the middleware every answer passes through.
pub fn router(routes: Router<AppState>, state: AppState, in_flight: InFlight) -> Router {
    let middleware = ServiceBuilder::new()
        .layer(middleware::from_fn(move |request, next| {
            outermost(in_flight.clone(), request, next)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, NewRequestId))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_completion)
                .on_failure(()),
        )
        .layer(middleware::from_fn(error::render))
        .layer(CatchPanicLayer::custom(on_panic));
    let routes = routes
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                "method not allowed on this route",
            )
        });
    // Faults are off unless WORKBOOK_FAULTS=1: then their layer is not even there.
    let routes = if state.config.workbook_faults {
        routes.route_layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
    } else {
        routes
    };
    routes.layer(middleware).with_state(state)
}

/// Every line logged while a request is handled carries these fields.
fn request_span(request: &Request) -> Span {
    let request_id = request_id::of(request).unwrap_or_default();
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| request.uri().path(), MatchedPath::as_str);
    tracing::info_span!("request", request_id, method = %request.method(), path)
}

fn log_completion(response: &Response, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request completed",
    );
}

/// The panic itself was logged by the hook [`log_panics`] installs; answer 500.
fn on_panic(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    axum::response::IntoResponse::into_response(ApiError::internal())
}

/// Sends panics to the log, inside the span of the request that panicked,
/// instead of a backtrace on stderr.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "panic");
    }));
}

/// A bound listener with its application, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    in_flight: InFlight,
    shutdown_timeout: Duration,
}

/// Shutdown gave up waiting for requests to finish.
#[derive(Debug, thiserror::Error)]
#[error("shutdown timed out after {waited_ms} ms with {cut_off} request(s) cut off")]
pub struct ShutdownTimedOut {
    pub waited_ms: u128,
    pub cut_off: usize,
}

impl Application {
    /// Binds `HOST:PORT` (port 0 picks a free one) for the given routes.
    pub async fn bind(routes: Router<AppState>, state: AppState) -> std::io::Result<Self> {
        let config = state.config.clone();
        let listener = TcpListener::bind((config.host, config.port)).await?;
        let in_flight = InFlight::default();
        Ok(Self {
            listener,
            router: router(routes, state, in_flight.clone()),
            in_flight,
            shutdown_timeout: config.shutdown_timeout_ms,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` resolves, then stops accepting, lets in-flight
    /// requests finish and runs `close` (the pool's), all within
    /// `SHUTDOWN_TIMEOUT_MS`. Past it, whatever still runs is cut off, even a
    /// request parked inside the database: the process must not outlive its
    /// drain time.
    pub async fn serve_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
        close: impl Future<Output = ()> + Send,
    ) -> Result<(), ShutdownTimedOut> {
        let stopping = Arc::new(Notify::new());
        let announce = stopping.clone();
        let server = axum::serve(self.listener, self.router).with_graceful_shutdown(async move {
            stop.await;
            tracing::info!("shutting down: no new connections, draining in-flight requests");
            announce.notify_one();
        });
        let drain_then_close = async {
            if let Err(err) = server.await {
                tracing::error!(error = %err, "server error");
            }
            close.await;
        };
        let deadline = async {
            stopping.notified().await;
            tokio::time::sleep_until(Instant::now() + self.shutdown_timeout).await;
        };
        tokio::select! {
            () = drain_then_close => Ok(()),
            () = deadline => {
                let timed_out = ShutdownTimedOut {
                    waited_ms: self.shutdown_timeout.as_millis(),
                    cut_off: self.in_flight.count(),
                };
                tracing::warn!(
                    cut_off = timed_out.cut_off,
                    waited_ms = timed_out.waited_ms as u64,
                    "shutdown timed out: in-flight requests cut off",
                );
                Err(timed_out)
            }
        }
    }
}

/// Listens for SIGTERM and SIGINT (Ctrl-C) from this call on, and resolves
/// on the first. The handlers are registered here, not when the future is
/// first polled: a signal sent the moment `listening` is logged (as a
/// supervisor may) would otherwise land before they exist and be lost.
/// Call it within the runtime.
pub fn stop_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        let (interrupt, terminate) = (
            async {
                match interrupt.as_mut() {
                    Some(signal) => drop(signal.recv().await),
                    None => std::future::pending::<()>().await,
                }
            },
            async {
                match terminate.as_mut() {
                    Some(signal) => drop(signal.recv().await),
                    None => std::future::pending::<()>().await,
                }
            },
        );
        #[cfg(not(unix))]
        let (interrupt, terminate) = (
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
            std::future::pending::<()>(),
        );
        tokio::select! {
            () = interrupt => tracing::info!(signal = "SIGINT", "stop requested"),
            () = terminate => tracing::info!(signal = "SIGTERM", "stop requested"),
        }
    }
}
