//! The command line: `serve`, `demo`, `migrate`, `user add`, `token create`, `import`,
//! `export`, `duplicates`, `bench`.
//! Every command takes the same storage options as `serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use guanxi_core::{Locale, Msg};
use guanxi_services::identity::NewUser;
use guanxi_services::{Crm, ServiceError};

use crate::config::{FileConfig, Storage};
use crate::startup::{self, anyhow_lite};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Parser)]
#[command(
    name = "guanxi",
    version,
    about = "Guanxi (关系): an open-source CRM in one binary"
)]
pub struct Cli {
    /// Optional TOML configuration file (keys: addr, data_dir, database, log_format, admin_email,
    /// smtp_url, mail_from, public_url).
    #[arg(long, global = true, env = "GUANXI_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (embedded database, search index, files). Default ./guanxi-data.
    #[arg(long, global = true, env = "GUANXI_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB (default: SQLite in the data directory).
    #[arg(long, global = true, env = "GUANXI_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// Log format.
    #[arg(long, global = true, env = "GUANXI_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "GUANXI_ADDR")]
        addr: Option<String>,
    },
    /// Run with a demo company loaded (a temporary data directory unless --data-dir is given).
    Demo {
        #[arg(long, env = "GUANXI_ADDR")]
        addr: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Export a list to CSV or XLSX (OBJECTS is the plural API name, e.g. contacts): every
    /// record, or those a user may see (--email); same filter and sort as the API.
    Export {
        objects: String,
        #[arg(long, default_value = "csv")]
        format: String,
        /// CSV only: utf-8 (default, with BOM) or gb18030.
        #[arg(long)]
        encoding: Option<String>,
        #[arg(long)]
        filter: Option<String>,
        #[arg(long)]
        sort: Option<String>,
        /// Comma-separated field names (default: every field but bookkeeping ones).
        #[arg(long)]
        fields: Option<String>,
        /// Export as this user sees the records (default: everything, as an administrator).
        #[arg(long)]
        email: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Import a CSV (UTF-8, UTF-16 or GB18030; `,` `;` or TAB) or XLSX file into OBJECTS
    /// (the plural API name, e.g. contacts). Rows that fail go to FILE.errors.csv; an
    /// interrupted import resumes when run again with the same command.
    Import(ImportArgs),
    /// Groups of possible duplicates among OBJECTS (contacts, accounts or leads): a CSV
    /// header, then one row per record that has duplicates:
    /// group,id,external_id,name,score,reasons.
    Duplicates {
        objects: String,
        #[arg(long, default_value = "csv")]
        format: String,
        /// Pairs scoring at least this (1–100) count (default: the object's duplicate rule).
        #[arg(long)]
        threshold: Option<u8>,
        /// Look as this user sees the records (default: everything, as an administrator).
        #[arg(long)]
        email: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The search index in the data directory.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Benchmarks (build with --release).
    Bench(crate::bench::BenchArgs),
}

#[derive(Debug, Subcommand)]
enum SearchCommand {
    /// Rebuild the index from the database (stop the server using this data directory
    /// first; it follows the change feed again when it starts).
    Rebuild,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OnDuplicateArg {
    /// Leave the existing record alone.
    Skip,
    /// Fill the existing record's empty fields from the row.
    Merge,
    /// Create a new record anyway.
    Create,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    objects: String,
    file: PathBuf,
    /// Header-to-field mapping: `header = field` lines (TOML-style quoting allowed).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Validate and count, write nothing to the database (the error file is written).
    #[arg(long)]
    dry_run: bool,
    /// A row matching an existing record by email or mobile (an external id match always updates).
    #[arg(long, value_enum, default_value = "skip")]
    on_duplicate: OnDuplicateArg,
    /// Where rows that fail are written (default FILE.errors.csv).
    #[arg(long)]
    errors: Option<PathBuf>,
    /// Import as this user (their permissions; they own what is created). Default: the
    /// first administrator, audited as `cli`.
    #[arg(long)]
    email: Option<String>,
    /// Rows per transaction and checkpoint.
    #[arg(long, default_value_t = guanxi_services::import::DEFAULT_BATCH)]
    batch_size: usize,
    /// Stop after this many batches, as an interrupted import would (to try the resume).
    #[arg(long, hide = true)]
    stop_after_batches: Option<u64>,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Password (at least 8 characters); read from GUANXI_USER_PASSWORD if not given.
        #[arg(long, env = "GUANXI_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Make the user an administrator.
        #[arg(long)]
        admin: bool,
        /// Language: zh-CN, zh-TW or en.
        #[arg(long, default_value = "zh-CN")]
        locale: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; the token is printed once on stdout.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        expires_days: Option<u32>,
        /// What the token may do: read, write, admin (comma-separated; admin only for administrators).
        #[arg(long, default_value = "read,write")]
        scopes: String,
    },
    /// List a user's tokens (never the tokens themselves).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token by its id (see `token list`).
    Revoke {
        #[arg(long)]
        email: String,
        #[arg(long)]
        id: String,
    },
}

fn cli_locale() -> Locale {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .and_then(|v| Locale::from_tag(v.split('.').next().unwrap_or("")))
        .unwrap_or(Locale::En)
}

/// Renders a service error for the terminal.
fn explain(e: &anyhow_lite::Error, locale: Locale) -> String {
    if let Some(se) = e.downcast_ref::<ServiceError>() {
        return match se {
            ServiceError::Validation(errors) => errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message(locale)))
                .collect::<Vec<_>>()
                .join("\n"),
            ServiceError::Storage(guanxi_storage::StorageError::UnsupportedUrl(u)) => {
                Msg::UnsupportedDatabase.format(locale, &[("url", u)])
            }
            other => other.to_string(),
        };
    }
    if let Some(guanxi_storage::StorageError::UnsupportedUrl(u)) =
        e.downcast_ref::<guanxi_storage::StorageError>()
    {
        return Msg::UnsupportedDatabase.format(locale, &[("url", u)]);
    }
    e.to_string()
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let locale = cli_locale();
    let file = match cli.config.as_deref().map(FileConfig::load).transpose() {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let log_json = match cli.log_format {
        Some(LogFormat::Json) => true,
        Some(LogFormat::Text) => false,
        None => file.log_format.as_deref() == Some("json"),
    };
    init_logging(log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, file)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", explain(&e, locale));
            ExitCode::FAILURE
        }
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GUANXI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

async fn run(cli: Cli, file: FileConfig) -> anyhow_lite::Result<()> {
    let storage = Storage {
        data_dir: cli
            .data_dir
            .clone()
            .or(file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("guanxi-data")),
        database: cli.database.clone().or(file.database.clone()),
    };
    let locale = cli_locale();
    let admin_email = std::env::var("GUANXI_ADMIN_EMAIL")
        .ok()
        .or(file.admin_email.clone());
    let admin_password = std::env::var("GUANXI_ADMIN_PASSWORD").ok();
    match cli.command {
        Command::Serve { addr } => {
            let addr = addr
                .or(file.addr.clone())
                .unwrap_or_else(|| "127.0.0.1:8080".into());
            tracing::info!(?storage, "opening database");
            let crm = open_serving(&storage, &file, &addr).await?;
            announce_admin(&crm, admin_email.as_deref(), admin_password.as_deref(), locale).await?;
            let running = startup::spawn(crm, startup::bind(&addr).await?)?;
            tracing::info!(url = %running.url(), "Guanxi is serving");
            serve_until_signal(running).await
        }
        Command::Demo { addr } => {
            let addr = addr
                .or(file.addr.clone())
                .unwrap_or_else(|| "127.0.0.1:8080".into());
            let dir = match cli.data_dir.or(file.data_dir.clone()) {
                Some(d) => d,
                None => tempfile::Builder::new().prefix("guanxi-demo-").tempdir()?.keep(),
            };
            let storage = Storage {
                data_dir: dir.clone(),
                database: None,
            };
            let crm = open_serving(&storage, &file, &addr).await?;
            let email = admin_email.unwrap_or_else(|| guanxi_services::identity::DEFAULT_ADMIN_EMAIL.into());
            let password = admin_password.unwrap_or_else(|| "guanxi-demo".into());
            let created = crm
                .ensure_first_admin(Some(&email), Some(&password))
                .await?
                .is_some();
            let actor = crm.actor_for_email(&email).await?;
            let summary = guanxi_services::demo::load_if_empty(
                &crm,
                &actor,
                &guanxi_services::demo::Size::small(),
                2026,
            )
            .await?;
            if let Some(s) = summary {
                tracing::info!(?s, "demo data loaded");
            }
            let token = crm.create_token(&email, "demo", Some(30)).await?;
            let running = startup::spawn(crm, startup::bind(&addr).await?)?;
            let shown_password = if created { password } else { "(unchanged)".into() };
            println!(
                "{}",
                Msg::DemoReady.format(
                    locale,
                    &[
                        ("url", &running.url()),
                        ("email", &email),
                        ("password", &shown_password),
                        ("token", &token),
                        ("dir", &dir.display().to_string()),
                    ]
                )
            );
            serve_until_signal(running).await
        }
        Command::Migrate => {
            let crm = open(&storage).await?;
            let version = guanxi_storage::migrations::latest_version();
            println!("{} schema version {version}", crm.db().describe());
            crm.db().close().await;
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    password,
                    admin,
                    locale: user_locale,
                },
        } => {
            let crm = open(&storage).await?;
            let user_locale = Locale::from_tag(&user_locale).unwrap_or_default();
            let user = crm
                .create_user(NewUser {
                    email,
                    name,
                    password,
                    is_admin: admin,
                    locale: user_locale,
                })
                .await?;
            println!("{}", Msg::UserCreated.format(locale, &[("email", &user.email)]));
            crm.db().close().await;
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    email,
                    name,
                    expires_days,
                    scopes,
                },
        } => {
            let scopes = guanxi_services::identity::Scopes::parse(&scopes).map_err(|word| {
                ServiceError::Internal(Msg::InvalidScopes.format(locale, &[("scope", &word)]))
            })?;
            let crm = open(&storage).await?;
            let new = guanxi_services::identity::NewToken {
                email: &email,
                name: &name,
                expires_days,
                scopes: Some(scopes),
            };
            let (_, token) = crm.issue_token(new, None).await.map_err(|e| match e {
                ServiceError::Validation(errors) if errors.iter().any(|f| f.msg == Msg::UnknownEmail) => {
                    ServiceError::Internal(Msg::UnknownEmail.format(locale, &[("email", &email)]))
                }
                other => other,
            })?;
            println!("{token}");
            crm.db().close().await;
            Ok(())
        }
        Command::Token {
            command: TokenCommand::List { email },
        } => {
            let crm = open(&storage).await?;
            let actor = cli_actor(&crm, &email, locale).await?;
            for t in crm.tokens(&actor).await? {
                let when = |d: Option<chrono::DateTime<chrono::Utc>>| {
                    d.map_or_else(|| "-".to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
                };
                println!(
                    "{}\t{}\t{}…\t{}\tcreated {}\texpires {}\trevoked {}",
                    t.id,
                    t.name,
                    t.prefix,
                    t.scopes,
                    when(Some(t.created_at)),
                    when(t.expires_at),
                    when(t.revoked_at)
                );
            }
            crm.db().close().await;
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Revoke { email, id },
        } => {
            let crm = open(&storage).await?;
            let actor = cli_actor(&crm, &email, locale).await?;
            let id =
                uuid::Uuid::parse_str(id.trim()).map_err(|_| ServiceError::field("id", Msg::InvalidId))?;
            crm.revoke_token(None, actor.user_id, id)
                .await
                .map_err(|e| match e {
                    ServiceError::NotFound => ServiceError::Internal(Msg::TokenNotFound.format(locale, &[])),
                    other => other,
                })?;
            println!("{}", Msg::TokenRevoked.format(locale, &[("id", &id.to_string())]));
            crm.db().close().await;
            Ok(())
        }
        Command::Export {
            objects,
            format,
            encoding,
            filter,
            sort,
            fields,
            email,
            output,
        } => {
            use guanxi_services::export::Format;
            let format =
                Format::parse(&format).ok_or_else(|| ServiceError::field("format", Msg::InvalidFormat))?;
            let format = format
                .with_encoding(encoding.as_deref())
                .map_err(|field| ServiceError::field(field, Msg::InvalidFormat))?;
            let crm = open(&storage).await?;
            let schema = crm.schema();
            let object = schema
                .named(&objects)
                .cloned()
                .ok_or_else(|| ServiceError::field("objects", Msg::LookupNotFound))?;
            let actor = match email {
                Some(e) => cli_actor(&crm, &e, locale).await?,
                None => guanxi_services::Actor::command_line(locale),
            };
            let fields: Option<Vec<String>> = fields.map(|f| {
                f.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            });
            let q = guanxi_services::records::ListQuery {
                filter,
                sort,
                ..Default::default()
            };
            let file = crm
                .export(&actor, &object.name, &q, fields.as_deref(), format, locale)
                .await?;
            match output {
                Some(path) => std::fs::write(&path, &file.bytes)?,
                None => {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    out.write_all(&file.bytes)?;
                    out.flush()?;
                }
            }
            crm.db().close().await;
            Ok(())
        }
        Command::Import(args) => {
            let crm = open(&storage).await?;
            // Records need an owner: an empty database gets its administrator, as on `serve`.
            announce_admin(&crm, admin_email.as_deref(), admin_password.as_deref(), locale).await?;
            let result = import(&crm, args, locale).await;
            crm.db().close().await;
            result
        }
        Command::Duplicates {
            objects,
            format,
            threshold,
            email,
            output,
        } => {
            if !format.trim().eq_ignore_ascii_case("csv") {
                return Err(ServiceError::field("format", Msg::InvalidFormat).into());
            }
            if threshold.is_some_and(|t| t == 0 || t > 100) {
                return Err(ServiceError::field("threshold", Msg::DupRuleBadThreshold).into());
            }
            let crm = open(&storage).await?;
            let object = crm
                .schema()
                .named(&objects)
                .cloned()
                .ok_or_else(|| ServiceError::field("objects", Msg::DupUnsupportedObject))?;
            let actor = match email {
                Some(e) => cli_actor(&crm, &e, locale).await?,
                None => guanxi_services::Actor::command_line(locale),
            };
            let started = std::time::Instant::now();
            let groups = crm.duplicate_groups(&actor, &object.name, threshold).await?;
            let csv = guanxi_services::dedupe::groups_csv(&groups)?;
            tracing::info!(groups = groups.len(), elapsed = ?started.elapsed(), "duplicates found");
            match output {
                Some(path) => std::fs::write(&path, csv.as_bytes())?,
                None => {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    out.write_all(csv.as_bytes())?;
                    out.flush()?;
                }
            }
            crm.db().close().await;
            Ok(())
        }
        Command::Search {
            command: SearchCommand::Rebuild,
        } => {
            let crm = open(&storage).await?;
            crm.open_search(locale)?;
            let start = std::time::Instant::now();
            let count = crm.rebuild_search().await?;
            crm.close_search();
            crm.db().close().await;
            println!(
                "{}",
                Msg::SearchRebuilt.format(
                    locale,
                    &[
                        ("count", &count.to_string()),
                        ("seconds", &format!("{:.1}", start.elapsed().as_secs_f64())),
                    ]
                )
            );
            Ok(())
        }
        Command::Bench(args) => crate::bench::run(args, &storage).await,
    }
}

/// `guanxi import`: a progress line on a terminal, the summary on stdout; a row error is
/// not a failure, an unreadable file or bad option is.
async fn import(crm: &Crm, args: ImportArgs, locale: Locale) -> anyhow_lite::Result<()> {
    use guanxi_services::import::{Event, ImportOptions, OnDuplicate, read_mapping};
    use std::io::{IsTerminal, Write};
    let fail = |e: guanxi_services::import::ImportError| ServiceError::Internal(e.message(locale));
    let mapping = match &args.mapping {
        Some(p) => read_mapping(p).map_err(fail)?,
        None => Vec::new(),
    };
    let mut actor = match &args.email {
        Some(e) => cli_actor(crm, e, locale).await?,
        None => crm.command_line_importer(locale).await?,
    };
    actor.locale = locale;
    let options = ImportOptions {
        mapping,
        dry_run: args.dry_run,
        on_duplicate: match args.on_duplicate {
            OnDuplicateArg::Skip => OnDuplicate::Skip,
            OnDuplicateArg::Merge => OnDuplicate::Merge,
            OnDuplicateArg::Create => OnDuplicate::Create,
        },
        batch_size: args.batch_size,
        errors_path: args.errors.clone(),
        state_path: None,
        stop_after_batches: args.stop_after_batches,
        ..ImportOptions::default()
    };
    let terminal = std::io::stderr().is_terminal();
    let mut progress = |event: &Event| match event {
        Event::Started {
            unknown_columns,
            twice_columns,
            resumed_after,
            restarted,
        } => {
            if *restarted {
                eprintln!("{}", Msg::ImportStateStale.text(locale));
            }
            if let Some(row) = resumed_after {
                eprintln!(
                    "{}",
                    Msg::ImportResumed.format(locale, &[("row", &row.to_string())])
                );
            }
            if !unknown_columns.is_empty() {
                let cols = unknown_columns.join(", ");
                eprintln!(
                    "{}",
                    Msg::ImportUnknownColumns.format(locale, &[("columns", &cols)])
                );
            }
            for c in twice_columns {
                eprintln!("{}", Msg::ImportColumnTwice.format(locale, &[("column", c)]));
            }
        }
        Event::Batch(p) if terminal => {
            let line = Msg::ImportProgress.format(
                locale,
                &[
                    ("rows", &p.rows.to_string()),
                    ("percent", &format!("{:.0}", p.fraction * 100.0)),
                    ("rate", &format!("{:.0}", p.rate)),
                ],
            );
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{line}\x1b[K");
            let _ = err.flush();
        }
        Event::Batch(_) => {}
    };
    let result = crm
        .import(&actor, &args.objects, &args.file, &options, &mut progress)
        .await;
    if terminal {
        eprintln!();
    }
    let report = result.map_err(fail)?;
    let c = &report.counts;
    let summary = if report.dry_run {
        Msg::ImportDryRunSummary
    } else {
        Msg::ImportSummary
    };
    println!(
        "{}",
        summary.format(
            locale,
            &[
                ("rows", &c.rows().to_string()),
                ("created", &c.created.to_string()),
                ("updated", &c.updated.to_string()),
                ("skipped", &c.skipped.to_string()),
                ("errors", &c.errors.to_string()),
                ("seconds", &format!("{:.2}", report.seconds)),
                ("rate", &format!("{:.0}", report.rate)),
            ]
        )
    );
    if c.accounts > 0 {
        let msg = if report.dry_run {
            Msg::ImportAccountsWouldCreate
        } else {
            Msg::ImportAccountsCreated
        };
        println!("{}", msg.format(locale, &[("count", &c.accounts.to_string())]));
    }
    match &report.errors_path {
        Some(p) => println!(
            "{}",
            Msg::ImportErrorsWritten.format(
                locale,
                &[
                    ("errors", &c.errors.to_string()),
                    ("path", &p.display().to_string())
                ]
            )
        ),
        None => println!("{}", Msg::ImportNoErrors.text(locale)),
    }
    if report.stopped {
        return Err(ServiceError::Internal(Msg::ImportStopped.format(
            locale,
            &[
                ("batches", &report.batches.to_string()),
                ("row", &report.last_row.to_string()),
            ],
        ))
        .into());
    }
    Ok(())
}

async fn open(storage: &Storage) -> anyhow_lite::Result<Crm> {
    startup::open(storage.database.as_deref(), &storage.data_dir).await
}

/// The mail settings from the environment (`GUANXI_SMTP_URL`, `GUANXI_MAIL_FROM`,
/// `GUANXI_PUBLIC_URL`) or the file; none without an SMTP URL. `addr` is where this node
/// serves, the public address when none is given.
fn mail_settings(
    file: &FileConfig,
    addr: &str,
) -> Result<Option<guanxi_services::mail::MailSettings>, String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let Some(url) = var("GUANXI_SMTP_URL").or(file.smtp_url.clone()) else {
        return Ok(None);
    };
    let from = var("GUANXI_MAIL_FROM")
        .or(file.mail_from.clone())
        .ok_or("GUANXI_MAIL_FROM: the sender address is needed with GUANXI_SMTP_URL")?;
    let public = var("GUANXI_PUBLIC_URL")
        .or(file.public_url.clone())
        .unwrap_or_else(|| format!("http://{addr}"));
    crate::mail::settings(&url, &from, &public).map(Some)
}

/// Opens the database with the mail settings, if any.
async fn open_serving(storage: &Storage, file: &FileConfig, addr: &str) -> anyhow_lite::Result<Crm> {
    let mail = mail_settings(file, addr).map_err(ServiceError::Internal)?;
    let crm = open(storage).await?;
    Ok(match mail {
        Some(m) => {
            tracing::info!(server = %m.server, "sending mail");
            crm.with_mail(m)
        }
        None => crm,
    })
}

async fn announce_admin(
    crm: &Crm,
    email: Option<&str>,
    password: Option<&str>,
    locale: Locale,
) -> anyhow_lite::Result<()> {
    if let Some(admin) = startup::first_admin(crm, email, password).await? {
        println!("{}", Msg::AdminCreated.format(locale, &[("email", &admin.email)]));
        if let Some(p) = admin.generated_password {
            println!(
                "{}",
                Msg::AdminPasswordGenerated.format(locale, &[("password", &p)])
            );
        }
    }
    Ok(())
}

async fn serve_until_signal(mut running: startup::Running) -> anyhow_lite::Result<()> {
    let ended = tokio::select! {
        r = tokio::signal::ctrl_c() => {
            r?;
            None
        }
        r = running.join() => Some(r),
    };
    match ended {
        Some(r) => Ok(r?),
        None => {
            tracing::info!("shutting down");
            running.stop().await;
            Ok(())
        }
    }
}

/// The user a command-line action is about, or a message naming the unknown email.
async fn cli_actor(crm: &Crm, email: &str, locale: Locale) -> anyhow_lite::Result<guanxi_services::Actor> {
    crm.actor_for_email(email)
        .await
        .map_err(|_| ServiceError::Internal(Msg::UnknownEmail.format(locale, &[("email", email)])).into())
}
