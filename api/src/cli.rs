//! The `siji` command line: `serve` (the default), `migrate`, `admin`, `openapi`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use sea_orm::EntityTrait;

use crate::auth::Role;
use crate::config::{BootstrapSettings, DataSettings, DatabaseSettings, LogSettings, Settings};
use crate::startup::Application;
use crate::{bootstrap, db, docs, telemetry};

#[derive(Debug, Parser)]
#[command(name = "siji", version, about = "Siji (四季): the union services API")]
pub struct Cli {
    #[command(flatten)]
    log: LogSettings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve(Settings),
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Administration from the command line (needs no running server).
    Admin {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Run jobs (imports, …) without serving HTTP: any number of workers may share one
    /// PostgreSQL database with the servers (run those with `SIJI_JOB_RUNNERS=0` to leave all
    /// jobs to the workers).
    Worker(Settings),
    /// Build a deterministic demonstration city (Jining's shape: 11 counties, 154 townships,
    /// 14,796 enterprises, up to a million workers, hardship archives, wage agreements)
    /// through the core's own bulk operations. Prints progress and rates; run it again to
    /// resume or to check that it is complete.
    DemoCity {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        data: DataSettings,
        #[command(flatten)]
        bootstrap: BootstrapSettings,
        #[command(flatten)]
        plan: crate::demo_city::Plan,
    },
    /// Print the OpenAPI document (or write it to a file).
    Openapi {
        /// Write to this file instead of standard output (e.g. `openapi/openapi.json`).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply pending migrations (all, or the next N).
    Up {
        #[arg(long)]
        steps: Option<u32>,
    },
    /// Roll back the last N applied migrations.
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List every migration and whether it is applied.
    Status,
}

#[derive(Debug, Subcommand)]
enum AdminAction {
    /// Create a user. The password is read from standard input (one line), never from the
    /// command line, so it stays out of shell history and process lists.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// Role to grant (repeatable); default `city_admin`.
        #[arg(long = "role", value_parser = parse_role)]
        roles: Vec<Role>,
        /// Organisation id (default: the root organisation).
        #[arg(long)]
        org_id: Option<uuid::Uuid>,
        #[command(flatten)]
        bootstrap: BootstrapSettings,
    },
    /// Re-encrypt stored personal data under the current `SIJI_DATA_KEY`, so that keys listed in
    /// `SIJI_DATA_KEYS_PREVIOUS` can be retired afterwards. Start the servers with the new key
    /// first; then this is safe to run while they serve, and again at any time.
    Reencrypt {
        #[command(flatten)]
        data: DataSettings,
        /// Values rewritten per transaction.
        #[arg(long, default_value_t = 500)]
        batch_size: u64,
        /// Only count the values that are not under the current key.
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse().map_err(|_| format!("unknown role `{s}`"))
}

/// `serve` with no subcommand given: its settings come from the environment alone.
#[derive(Debug, Parser)]
struct ServeFromEnv {
    #[command(flatten)]
    settings: Settings,
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(&cli.log);
    let command = match cli.command {
        Some(command) => command,
        None => match ServeFromEnv::try_parse_from(["siji"]) {
            Ok(parsed) => Command::Serve(parsed.settings),
            Err(err) => {
                let _ = err.print();
                return ExitCode::from(2);
            }
        },
    };
    match execute(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("siji: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> Result<(), String> {
    match command {
        Command::Serve(settings) => {
            let app = Application::build(settings.clone())
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(
                address = %settings.bind.ip(),
                port = app.port(),
                "Siji listening; OpenAPI at /openapi.json, Swagger UI at /docs/"
            );
            let handle = app.handle();
            tokio::spawn(async move {
                shutdown_signal().await;
                tracing::info!("shutdown signal received; finishing in-flight requests");
                handle.stop(true).await;
            });
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Worker(settings) => {
            if settings.jobs.runners == 0 {
                return Err("SIJI_JOB_RUNNERS is 0: this worker would run nothing".into());
            }
            let state = std::sync::Arc::new(
                crate::startup::prepare(settings)
                    .await
                    .map_err(|e| e.to_string())?,
            );
            let runners = crate::jobs::runner::start(state.clone());
            tracing::info!(
                runners = state.settings.jobs.runners,
                "Siji worker running jobs"
            );
            shutdown_signal().await;
            tracing::info!("shutdown signal received; giving running jobs back to the queue");
            runners.stop().await;
            let _ = state.db.close_by_ref().await;
            Ok(())
        }
        Command::Migrate { database, action } => {
            let conn = db::connect(&database).await.map_err(|e| e.to_string())?;
            let result = match action {
                MigrateAction::Up { steps } => Migrator::up(&conn, steps).await,
                MigrateAction::Down { steps } => Migrator::down(&conn, Some(steps)).await,
                MigrateAction::Status => print_status(&conn).await,
            };
            let _ = conn.close_by_ref().await;
            result.map_err(|e| e.to_string())
        }
        Command::Admin { database, action } => {
            let conn = db::connect(&database).await.map_err(|e| e.to_string())?;
            let result = admin(&conn, action).await;
            let _ = conn.close_by_ref().await;
            result
        }
        Command::DemoCity {
            database,
            data,
            bootstrap,
            plan,
        } => {
            let conn = db::connect(&database).await.map_err(|e| e.to_string())?;
            let result = demo_city(&conn, &data, &bootstrap, &plan).await;
            let _ = conn.close_by_ref().await;
            result
        }
        Command::Openapi { output } => {
            let json =
                serde_json::to_string_pretty(&docs::document()).map_err(|e| e.to_string())? + "\n";
            match output {
                Some(path) => {
                    std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))
                }
                None => {
                    #[allow(clippy::print_stdout)]
                    {
                        print!("{json}");
                    }
                    Ok(())
                }
            }
        }
    }
}

async fn admin(conn: &sea_orm::DatabaseConnection, action: AdminAction) -> Result<(), String> {
    match action {
        AdminAction::CreateUser {
            username,
            display_name,
            roles,
            org_id,
            bootstrap,
        } => {
            Migrator::up(conn, None).await.map_err(|e| e.to_string())?;
            let root = bootstrap::ensure_root_org(conn, &bootstrap)
                .await
                .map_err(|e| e.to_string())?;
            let org = match org_id {
                Some(id) => entity::orgs::Entity::find_by_id(id)
                    .one(conn)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no organisation {id}"))?,
                None => root,
            };
            let roles = if roles.is_empty() {
                vec![Role::CityAdmin]
            } else {
                roles
            };
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| format!("reading the password: {e}"))?;
            let password = password.trim_end_matches(['\r', '\n']);
            let user =
                bootstrap::create_user(conn, &org, &username, &display_name, &roles, password)
                    .await
                    .map_err(|e| match e {
                        crate::http::ApiError::Validation(errors) => errors
                            .iter()
                            .map(|e| format!("{}: {}", e.field, e.message))
                            .collect::<Vec<_>>()
                            .join("; "),
                        other => other.to_string(),
                    })?;
            tracing::info!(user_id = %user.id, username = %user.username, "user created");
            Ok(())
        }
        AdminAction::Reencrypt {
            data,
            batch_size,
            dry_run,
        } => {
            let pii = crate::auth::secrets::data_protector(conn, &data)
                .await
                .map_err(|e| e.to_string())?;
            let reports = crate::pii::rotation::reencrypt(conn, &pii, batch_size, dry_run)
                .await
                .map_err(|e| e.to_string())?;
            let verb = if dry_run { "to rewrite" } else { "rewritten" };
            #[allow(clippy::print_stdout)]
            for r in reports {
                println!(
                    "{}.{}: {} {verb} under key {}",
                    r.table,
                    r.column,
                    r.rewritten,
                    pii.current_key_id()
                );
            }
            Ok(())
        }
    }
}

async fn demo_city(
    conn: &sea_orm::DatabaseConnection,
    data: &DataSettings,
    bootstrap: &BootstrapSettings,
    plan: &crate::demo_city::Plan,
) -> Result<(), String> {
    Migrator::up(conn, None).await.map_err(|e| e.to_string())?;
    let root = bootstrap::ensure_root_org(conn, bootstrap)
        .await
        .map_err(|e| e.to_string())?;
    // The first administrator comes before the city's staff accounts: the server creates it
    // only while no user exists.
    bootstrap::ensure_admin(conn, &root, bootstrap)
        .await
        .map_err(|e| e.to_string())?;
    let pii = crate::auth::secrets::data_protector(conn, data)
        .await
        .map_err(|e| e.to_string())?;
    #[allow(clippy::print_stdout)]
    let say = |line: String| println!("{line}");
    let phases = crate::demo_city::build(conn, &pii, &root, plan, &say)
        .await
        .map_err(|e| match e {
            siji_core::CoreError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {} ({})", e.field, e.message, e.code))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })?;
    #[allow(clippy::print_stdout)]
    for p in phases {
        println!(
            "{:<16} {:>9} written, {:>9} there already, {:>7.1} s ({:.0}/s)",
            p.name,
            p.written,
            p.found,
            p.seconds,
            p.written as f64 / p.seconds.max(1e-9)
        );
    }
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what orchestrators send).
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

async fn print_status(conn: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let migrations = Migrator::get_migration_with_status(conn).await?;
    #[allow(clippy::print_stdout)]
    {
        if migrations.is_empty() {
            println!("no migrations");
        }
        for m in migrations {
            println!("{:<8} {}", m.status().to_string(), m.name());
        }
    }
    Ok(())
}
