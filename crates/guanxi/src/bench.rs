//! `guanxi bench`: the figures issues ask for, measured on generated data in release
//! builds. `write` times bulk creation through the write path beside raw inserts of the
//! same rows; `read` times get-by-id and filtered list pages over HTTP on loopback;
//! `import` writes a contact spreadsheet as Excel users send them and imports it.

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use guanxi_core::ColumnKind;
use guanxi_core::values::{Record, Value, sys};
use guanxi_services::demo::generate::Generator;
use guanxi_services::{Actor, Crm};
use guanxi_storage::{Arg, Sql};
use rand::Rng;
use rand::SeedableRng;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::config::Storage;
use crate::startup::{self, anyhow_lite};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Which {
    /// Bulk create through the write path, and raw inserts of the same rows.
    Write,
    /// Get-by-id and list pages over HTTP.
    Read,
    /// The same list as an administrator and as a rep who sees only their own records.
    Permissions,
    /// Web pages signed in through the browser session: list, record page, home.
    Ui,
    /// A generated contact CSV (Chinese names, messy phones, companies) through `import`.
    Import,
    /// Duplicate detection over every contact and account (as `guanxi duplicates`).
    Duplicates,
    /// The search index: its build from the tables, /api/v1/search over HTTP for a mix of
    /// queries, and how soon a write is found.
    Search,
    /// Lead conversion with its duplicate check over the contacts (and their accounts):
    /// half the leads are people and companies already known, half are new.
    Convert,
    /// A sales process with 10,000 open opportunities (and deals closed in the last 90
    /// days): the board page, the pipeline and its velocity.
    Pipeline,
    /// Service cases (`--cases`, a tenth of them open, due times spread over 100 days)
    /// timed by a service level policy: an agent's queue over HTTP and the SLA sweep.
    Cases,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[arg(value_enum)]
    which: Which,
    /// Contacts to create (write) or to have in the database (read).
    #[arg(long, default_value_t = 100_000)]
    contacts: usize,
    /// write: records per write-path call (the bulk API takes up to 10,000; default 5,000).
    /// import: rows per transaction (default as `guanxi import`).
    #[arg(long)]
    batch: Option<usize>,
    /// Requests per measured read scenario.
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    /// import: write the file in GB18030 (as Excel in China saves CSV) instead of UTF-8.
    #[arg(long)]
    gb18030: bool,
    /// convert: keep the search index as built instead of following the writes (shows what
    /// the indexer's commits cost the conversions running beside them).
    #[arg(long)]
    no_indexer: bool,
    /// cases: the cases to have in the database.
    #[arg(long, default_value_t = 1_000_000)]
    cases: usize,
}

impl BenchArgs {
    fn write_batch(&self) -> usize {
        self.batch.unwrap_or(5_000)
    }
}

pub async fn run(args: BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; benchmark figures need --release");
    }
    match args.which {
        Which::Write => write(&args, storage).await,
        Which::Read => read(&args, storage).await,
        Which::Permissions => permissions(&args, storage).await,
        Which::Ui => ui(&args, storage).await,
        Which::Import => import(&args, storage).await,
        Which::Duplicates => duplicates(&args, storage).await,
        Which::Search => search(&args, storage).await,
        Which::Pipeline => pipeline(&args, storage).await,
        Which::Convert => convert(&args, storage).await,
        Which::Cases => cases(&args, storage).await,
    }
}

async fn bench_crm(storage: &Storage) -> anyhow_lite::Result<(Crm, Actor, Option<tempfile::TempDir>)> {
    let (dir, keep) = match &storage.database {
        Some(_) => (storage.data_dir.clone(), None),
        None if storage.data_dir.join("guanxi.db").exists()
            || std::env::var_os("GUANXI_DATA_DIR").is_some() =>
        {
            (storage.data_dir.clone(), None)
        }
        None => {
            let t = tempfile::Builder::new().prefix("guanxi-bench-").tempdir()?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let crm = startup::open(storage.database.as_deref(), &dir).await?;
    crm.ensure_first_admin(Some("bench@guanxi.local"), Some("bench-password"))
        .await?;
    let actor = crm.actor_for_email("bench@guanxi.local").await?;
    eprintln!("database: {}", crm.db().describe());
    Ok((crm, actor, keep))
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

async fn write(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    let (crm, actor, _keep) = bench_crm(storage).await?;
    let mut g = Generator::new(7);
    let accounts: Vec<_> = (0..(args.contacts / 10).max(1)).map(|i| g.account(i)).collect();
    let mut account_ids = Vec::new();
    for chunk in accounts.chunks(args.write_batch()) {
        for (r, _) in crm
            .bulk(&actor, "account", chunk.to_vec(), None)
            .await?
            .into_iter()
            .flatten()
        {
            account_ids.extend(r.id());
        }
    }
    let inputs: Vec<Map<String, Json>> = (0..args.contacts)
        .map(|i| g.contact(i, account_ids.get(i % account_ids.len().max(1)).copied()))
        .collect();
    eprintln!(
        "generated {} contacts; writing in batches of {}",
        inputs.len(),
        args.write_batch()
    );
    let mut created: Vec<Record> = Vec::with_capacity(inputs.len());
    let start = Instant::now();
    for chunk in inputs.chunks(args.write_batch()) {
        for (r, _) in crm
            .bulk(&actor, "contact", chunk.to_vec(), None)
            .await?
            .into_iter()
            .flatten()
        {
            created.push(r);
        }
    }
    let took = start.elapsed();
    println!(
        "write path: {} contacts in {:.2}s = {:.0} contacts/s (validation, normalisation, lookups, unique checks, history, change events)",
        created.len(),
        took.as_secs_f64(),
        rate(created.len(), took)
    );

    // The same rows straight into the table, as the engine's limit: no validation, no
    // history, no events; fresh ids and external ids so unique indexes accept them.
    let schema = crm.schema();
    let object = schema.object("contact").ok_or("no contact object")?.clone();
    let ext = object
        .fields
        .iter()
        .position(|f| f.name == "external_id")
        .ok_or("no external_id")?;
    let raw: Vec<Record> = created
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.values[sys::ID] = Value::Uuid(Uuid::now_v7());
            r.values[ext] = Value::Text(format!("RAW-{}", Uuid::now_v7()));
            r
        })
        .collect();
    // Into an empty database like the one the write path started with (on SQLite; a
    // given database URL is reused as it is).
    let fresh = match &storage.database {
        None => {
            let dir = tempfile::Builder::new().prefix("guanxi-bench-raw-").tempdir()?;
            let other = startup::open(None, dir.path()).await?;
            Some((other, dir))
        }
        Some(_) => None,
    };
    let target = fresh.as_ref().map_or(&crm, |(c, _)| c);
    let start = Instant::now();
    for chunk in raw.chunks(args.write_batch()) {
        let mut tx = target.db().begin().await?;
        let rows: Vec<&Record> = chunk.iter().collect();
        guanxi_storage::records::insert(&mut tx, &object, &rows).await?;
        tx.commit().await?;
    }
    let took_raw = start.elapsed();
    println!(
        "raw insert: {} rows in {:.2}s = {:.0} rows/s (the same rows into an empty table with the same indexes: \
         multi-row INSERT, one transaction per batch, no validation, history or events)",
        raw.len(),
        took_raw.as_secs_f64(),
        rate(raw.len(), took_raw)
    );
    if let Some((other, _dir)) = fresh {
        other.db().close().await;
    }
    crm.db().close().await;
    Ok(())
}

async fn count(crm: &Crm, table: &str) -> anyhow_lite::Result<usize> {
    let mut s = Sql::new(crm.db().dialect());
    s.push("SELECT COUNT(*) FROM ").ident(table);
    let rows = crm.db().fetch(s, &[ColumnKind::Int]).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(Arg::as_int)
        .unwrap_or(0) as usize)
}

/// One GET with a token: how long until the whole JSON answer was read, and the answer.
async fn timed_json(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow_lite::Result<(Duration, Json)> {
    let t = Instant::now();
    let body: Json = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok((t.elapsed(), body))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: n={} p50={:.3} ms p99={:.3} ms max={:.3} ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.99)),
        ms(samples.last().copied().unwrap_or_default())
    );
}

/// Duplicate detection over the whole contact and account tables, as an administrator
/// (every record) — the work `guanxi duplicates OBJECTS` does.
async fn duplicates(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    let (crm, admin, _keep) = bench_crm(storage).await?;
    let total = ensure_contacts(&crm, &admin, args.contacts).await?;
    for object in ["contact", "account"] {
        let start = Instant::now();
        let groups = crm.duplicate_groups(&admin, object, None).await?;
        let elapsed = start.elapsed();
        let records: usize = groups.iter().map(|g| g.members.len()).sum();
        println!(
            "duplicates {object}: {:.2}s ({total} contacts in the database); {} groups, {records} records with duplicates",
            elapsed.as_secs_f64(),
            groups.len()
        );
        // One record's look-alikes: what a create checked against a duplicate rule costs.
        let sample: Vec<uuid::Uuid> = groups
            .iter()
            .flat_map(|g| g.members.iter().map(|m| m.id))
            .take(args.requests.min(200))
            .collect();
        if !sample.is_empty() {
            let start = Instant::now();
            let mut found = 0;
            for id in &sample {
                found += crm.duplicates_of(&admin, object, *id).await?.len();
            }
            let each = start.elapsed() / sample.len() as u32;
            println!(
                "duplicates of one {object}: {:.1} ms each over {} records ({found} look-alikes found)",
                each.as_secs_f64() * 1000.0,
                sample.len()
            );
        }
    }
    Ok(())
}

/// Loads contacts through the write path until there are `contacts`.
async fn ensure_contacts(crm: &Crm, actor: &Actor, contacts: usize) -> anyhow_lite::Result<usize> {
    let have = count(crm, "contacts").await?;
    if have < contacts {
        eprintln!("loading {} contacts (have {have})…", contacts - have);
        let start = Instant::now();
        let size = guanxi_services::demo::Size::contacts(contacts - have);
        let s = guanxi_services::demo::load(crm, actor, &size, have as u64 + 1).await?;
        eprintln!(
            "loaded {} contacts in {:.1}s",
            s.contacts,
            start.elapsed().as_secs_f64()
        );
    }
    count(crm, "contacts").await
}

async fn permissions(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    const REPS: usize = 100;
    let (crm, admin, _keep) = bench_crm(storage).await?;
    let total = ensure_contacts(&crm, &admin, args.contacts).await?;
    // A sales team: a manager's role above a rep role with REPS reps who split the contacts.
    let role = match crm
        .roles(&admin)
        .await?
        .into_iter()
        .find(|r| r.name == "Bench rep")
    {
        Some(r) => r,
        None => {
            crm.add_role(&admin, serde_json::json!({"name": "Bench rep"}))
                .await?
        }
    };
    let mut reps = Vec::new();
    for i in 0..REPS {
        let email = format!("rep{i}@bench.guanxi.local");
        let user = match crm.actor_for_email(&email).await {
            Ok(a) => a.user_id,
            Err(_) => {
                let new = guanxi_services::identity::NewUser {
                    email: email.clone(),
                    name: format!("Rep {i}"),
                    password: None,
                    is_admin: false,
                    locale: guanxi_core::Locale::ZhCn,
                };
                crm.create_user(new).await?.id
            }
        };
        crm.set_user_role(&admin, user, Some(role.id)).await?;
        reps.push((email, user));
    }
    // Set-up, not the measured path: hand the contacts out round robin in one statement.
    let mut s = Sql::new(crm.db().dialect());
    s.push("UPDATE contacts SET owner = CASE ");
    for (i, (_, user)) in reps.iter().enumerate() {
        let modulo = match crm.db().dialect() {
            guanxi_storage::Dialect::Sqlite => "(rowid % ",
            guanxi_storage::Dialect::Postgres => "(abs(hashtext(id::text)) % ",
        };
        s.push("WHEN ")
            .push(modulo)
            .push(&format!("{REPS}) = {i} THEN "))
            .bind(Arg::Uuid(*user))
            .push(" ");
    }
    s.push("END");
    let t = Instant::now();
    crm.db().execute(s).await?;
    eprintln!("owners assigned in {:.1}s", t.elapsed().as_secs_f64());
    crm.set_object_access(&admin, "contact", serde_json::json!({"sharing": "private"}))
        .await?;
    // The rep's sharing: a team of three colleagues whose contacts the rep role reads, the
    // contacts in two cities (a criteria rule), and a hundred contacts shared by hand.
    if crm.sharing_rules(&admin, Some("contact")).await?.is_empty() {
        let members: Vec<Uuid> = reps[1..4].iter().map(|(_, u)| *u).collect();
        let team = crm
            .put_team(
                &admin,
                None,
                serde_json::json!({"name": "Bench key accounts", "members": members}),
            )
            .await?;
        crm.add_sharing_rule(
            &admin,
            serde_json::json!({"object": "contact", "name": "key accounts to reps",
                "owners": {"team": team.id}, "to": {"role": role.id}, "level": "read"}),
        )
        .await?;
        crm.add_sharing_rule(
            &admin,
            serde_json::json!({"object": "contact", "name": "杭州 and 宁波 to reps",
                "criteria": "city in ('杭州', '宁波')", "to": {"role": role.id}, "level": "read"}),
        )
        .await?;
        let mut s = Sql::new(crm.db().dialect());
        s.push("SELECT id FROM contacts ORDER BY id DESC LIMIT 100");
        for row in crm.db().fetch(s, &[ColumnKind::Uuid]).await? {
            if let Some(id) = row.first().and_then(Arg::as_uuid) {
                crm.share(
                    &admin,
                    "contact",
                    id,
                    serde_json::json!({"user": reps[0].1, "level": "read"}),
                )
                .await?;
            }
        }
    }
    // What the server's background job does within minutes of such a change.
    crm.refresh_statistics().await?;

    let admin_token = crm.create_token("bench@guanxi.local", "bench", Some(1)).await?;
    let rep_token = crm.create_token(&reps[0].0, "bench", Some(1)).await?;
    let running = startup::serve(crm.clone(), startup::bind("127.0.0.1:0").await?, false)?;
    let base = running.url();
    let client = reqwest::Client::builder().pool_max_idle_per_host(4).build()?;
    println!(
        "dataset: {total} contacts, private, owned by {REPS} reps; the rep also reads 3 colleagues' contacts \
         (owner rule), those in 杭州 and 宁波 (criteria rule) and 100 shared by hand; {} requests each",
        args.requests
    );
    let cities = [
        "上海", "北京", "深圳", "苏州", "杭州", "广州", "成都", "武汉", "南京", "宁波",
    ];
    type Query = fn(&str) -> String;
    let queries: [(&str, Query); 2] = [
        ("list: sort -created_at, 50 rows", |_| {
            "sort=-created_at&limit=50".to_string()
        }),
        ("list: filter city eq, sort name, 50 rows", |c| {
            format!("filter=city eq '{c}'&sort=name&limit=50")
        }),
    ];
    for (name, query) in queries {
        let mut p99 = Vec::new();
        for (who, token) in [("admin", &admin_token), ("rep", &rep_token)] {
            let mut rng = rand::rngs::StdRng::seed_from_u64(3);
            let mut samples = Vec::with_capacity(args.requests);
            for i in 0..args.requests + 50 {
                let city = cities[rng.gen_range(0..cities.len())];
                let url = format!("{base}/api/v1/contacts?{}", query(city));
                let (took, body) = timed_json(&client, &url, token).await?;
                if i >= 50 {
                    samples.push(took);
                }
                if body["data"].as_array().is_none_or(|d| d.is_empty()) {
                    return Err(format!("{who}: {url} returned no rows").into());
                }
            }
            samples.sort();
            p99.push(percentile(&samples, 0.99));
            report(&format!("{name} as {who}"), samples);
        }
        println!(
            "  rep / admin p99: {:.2}×",
            p99[1].as_secs_f64() / p99[0].as_secs_f64().max(1e-9)
        );
    }
    running.stop().await;
    Ok(())
}

async fn read(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    let (crm, actor, _keep) = bench_crm(storage).await?;
    let total = ensure_contacts(&crm, &actor, args.contacts).await?;
    let ids: Vec<Uuid> = crm
        .db()
        .fetch(
            Sql::with(crm.db().dialect(), "SELECT id FROM contacts"),
            &[ColumnKind::Uuid],
        )
        .await?
        .into_iter()
        .filter_map(|r| r.first().and_then(Arg::as_uuid))
        .collect();
    let token = crm.create_token("bench@guanxi.local", "bench", Some(1)).await?;
    let running = startup::serve(crm.clone(), startup::bind("127.0.0.1:0").await?, false)?;
    let base = running.url();
    let client = reqwest::Client::builder().pool_max_idle_per_host(4).build()?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    println!(
        "dataset: {total} contacts; {} requests per scenario, one client, keep-alive, loopback",
        args.requests
    );

    let get = |id: Uuid| {
        client
            .get(format!("{base}/api/v1/contacts/{id}"))
            .bearer_auth(&token)
            .send()
    };
    for _ in 0..200 {
        get(ids[rng.gen_range(0..ids.len())])
            .await?
            .error_for_status()?
            .bytes()
            .await?;
    }
    let mut samples = Vec::with_capacity(args.requests);
    for _ in 0..args.requests {
        let id = ids[rng.gen_range(0..ids.len())];
        let t = Instant::now();
        get(id).await?.error_for_status()?.bytes().await?;
        samples.push(t.elapsed());
    }
    report("GET /api/v1/contacts/{id}", samples);

    let cities = [
        "上海", "北京", "深圳", "苏州", "杭州", "广州", "成都", "武汉", "南京", "宁波",
    ];
    let emails: Vec<String> = crm
        .db()
        .fetch(
            Sql::with(
                crm.db().dialect(),
                "SELECT email FROM contacts WHERE email IS NOT NULL LIMIT 5000",
            ),
            &[ColumnKind::Text],
        )
        .await?
        .into_iter()
        .filter_map(|r| r.first().and_then(|a| a.as_text().map(str::to_string)))
        .collect();
    // (name, query from a random city and a random stored email)
    type Query = fn(&str, &str) -> String;
    let scenarios: Vec<(&str, Query)> = vec![
        (
            "list: filter city eq, sort -created_at, 50 rows",
            (|c, _| format!("filter=city eq '{c}'&sort=-created_at&limit=50")),
        ),
        (
            "list: filter city in + email_opt_out, sort name, 50 rows",
            (|c, _| format!("filter=city in ('{c}', '北京') and email_opt_out ne true&sort=name&limit=50")),
        ),
        (
            "list: filter name starts_with, sort name, 50 rows",
            (|_, _| "filter=name starts_with '王'&sort=name&limit=50".to_string()),
        ),
        (
            "list: filter email eq (selective), sort -created_at",
            (|_, e| format!("filter=email eq '{e}'&sort=-created_at&limit=50")),
        ),
        (
            "list: no filter, sort -updated_at, 50 rows",
            (|_, _| "sort=-updated_at&limit=50".to_string()),
        ),
    ];
    for (name, query) in scenarios {
        let mut samples = Vec::with_capacity(args.requests);
        let mut cursor: Option<String> = None;
        for i in 0..args.requests + 50 {
            let city = cities[rng.gen_range(0..cities.len())];
            let email = emails
                .get(rng.gen_range(0..emails.len().max(1)))
                .map_or("", String::as_str);
            let mut url = format!("{base}/api/v1/contacts?{}", query(city, email));
            // Four requests in five continue from the previous page's cursor (deeper pages).
            if i % 5 != 0
                && let Some(c) = cursor.take()
            {
                url = format!("{url}&cursor={c}");
            }
            let (took, body) = timed_json(&client, &url, &token).await?;
            if i >= 50 {
                samples.push(took);
            }
            cursor = body.get("next_cursor").and_then(Json::as_str).map(str::to_string);
        }
        report(name, samples);
    }
    running.stop().await;
    Ok(())
}

/// Server time of web pages as a signed-in browser gets them: list pages of 50 contacts,
/// a record page whose timeline holds 200 entries (120 changes, 80 activities), the
/// opportunity board, the calendar, the home page; and their weights.
async fn ui(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    let (crm, admin, _keep) = bench_crm(storage).await?;
    let total = ensure_contacts(&crm, &admin, args.contacts).await?;
    // An opportunity board of 10,000 open opportunities across the open stages.
    let have = count(&crm, "opportunities").await?;
    if have < 10_000 {
        let stages = ["prospecting", "qualification", "proposal", "negotiation"];
        let batch: Vec<Map<String, Json>> = (have..10_000)
            .map(|i| {
                let mut o = Map::new();
                o.insert("name".into(), Json::String(format!("商机 {i:05}")));
                o.insert("stage".into(), Json::String(stages[i % stages.len()].into()));
                o.insert("close_date".into(), Json::String("2027-03-31".into()));
                o.insert(
                    "amount".into(),
                    serde_json::json!({"amount": format!("{}", 10_000 + (i * 7919) % 990_000), "currency": "CNY"}),
                );
                o
            })
            .collect();
        crm.bulk(&admin, "opportunity", batch, None).await?;
    }
    // A contact whose timeline holds 200 entries: 120 changes and 80 activities.
    let mut input = Map::new();
    input.insert("name".into(), Json::String("时间线测试".into()));
    let record = crm.create(&admin, "contact", input).await?;
    let id = record.id().unwrap_or_default();
    let cities = ["上海", "北京", "深圳", "杭州"];
    let activities: Vec<Map<String, Json>> = (0..80)
        .map(|i| {
            let mut a = Map::new();
            a.insert("subject".into(), Json::String(format!("跟进电话 {i}")));
            a.insert("type".into(), Json::String("call".into()));
            a.insert("status".into(), Json::String("completed".into()));
            a.insert("contact".into(), Json::String(id.to_string()));
            a.insert(
                "description".into(),
                Json::String("客户询问了交付周期和付款方式。".into()),
            );
            a
        })
        .collect();
    crm.bulk(&admin, "activity", activities, None).await?;
    for i in 0..119_i64 {
        let mut patch = Map::new();
        patch.insert(
            "city".into(),
            Json::String(cities[i as usize % cities.len()].into()),
        );
        crm.update(&admin, "contact", id, i + 1, patch).await?;
    }
    let running = startup::serve(crm.clone(), startup::bind("127.0.0.1:0").await?, false)?;
    let base = running.url();
    let (client, cookie) = signed_in(&base).await?;
    println!(
        "dataset: {total} contacts, {} opportunities; {} requests per page",
        count(&crm, "opportunities").await?,
        args.requests
    );
    let pages = [
        ("list page: /o/contacts, 50 rows", "/o/contacts".to_string()),
        (
            "list page: /o/contacts?sort=name",
            "/o/contacts?sort=name".to_string(),
        ),
        (
            "list page: chosen columns incl. a lookup",
            "/o/contacts?col=name&col=account&col=email&col=city&col=owner".to_string(),
        ),
        (
            "record page with 200 timeline entries",
            format!("/o/contacts/{id}"),
        ),
        (
            "opportunity board (all stages)",
            "/o/opportunities/board".to_string(),
        ),
        ("calendar, week", "/calendar".to_string()),
        ("home page", "/".to_string()),
    ];
    for asset in ["/static/app.css", "/static/app.js"] {
        let body = client.get(format!("{base}{asset}")).send().await?.bytes().await?;
        println!("{asset}: {:.1} KB", body.len() as f64 / 1024.0);
    }
    time_pages(&client, &base, &cookie, &pages, args.requests).await?;
    running.stop().await;
    Ok(())
}

/// A client signed in through the browser session as the bench administrator, and its
/// session cookie.
async fn signed_in(base: &str) -> anyhow_lite::Result<(reqwest::Client, String)> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let res = client
        .post(format!("{base}/login"))
        .form(&[("email", "bench@guanxi.local"), ("password", "bench-password")])
        .send()
        .await?;
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .ok_or("sign-in failed")?;
    Ok((client, cookie))
}

/// Each page `requests` times after 20 warm-up requests, until its whole body was read.
async fn time_pages(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    pages: &[(&str, String)],
    requests: usize,
) -> anyhow_lite::Result<()> {
    for (name, path) in pages {
        let mut samples = Vec::with_capacity(requests);
        let mut bytes = 0;
        for i in 0..requests + 20 {
            let t = Instant::now();
            let res = client
                .get(format!("{base}{path}"))
                .header("Cookie", cookie)
                .send()
                .await?
                .error_for_status()?;
            let body = res.bytes().await?;
            if i >= 20 {
                samples.push(t.elapsed());
            }
            bytes = body.len();
        }
        report(&format!("{name} ({:.1} KB)", bytes as f64 / 1024.0), samples);
    }
    Ok(())
}

/// Converts `requests` leads, half of a known person at a known company (their mobile,
/// their company's name without its legal suffix), half new, each through the whole
/// conversion: the look-alike search over accounts and contacts, then account, contact
/// and opportunity written in one transaction. Times the plan (the duplicate check alone,
/// as the conversion page asks for it) and the conversion, in the service.
async fn convert(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    let (crm, admin, _keep) = bench_crm(storage).await?;
    let total = ensure_contacts(&crm, &admin, args.contacts).await?;
    let known = texts(
        &crm,
        "SELECT c.name, c.mobile, a.name FROM contacts c JOIN accounts a ON a.id = c.account \
         WHERE c.mobile IS NOT NULL AND c.deleted_at IS NULL ORDER BY c.id LIMIT 20000",
        3,
    )
    .await?;
    if known.is_empty() {
        return Err("no contacts with an account to convert leads of".into());
    }
    // As a server runs: the search index open (it proposes companies by name) and kept
    // current from the change feed.
    crm.open_search(guanxi_core::Locale::En)?;
    if !crm.search_built() {
        let start = Instant::now();
        let n = crm.rebuild_search().await?;
        eprintln!(
            "search index built: {n} records in {:.1}s",
            start.elapsed().as_secs_f64()
        );
    }
    let indexer = (!args.no_indexer).then(|| tokio::spawn(crm.clone().run_indexer()));
    let n = args.requests;
    let stride = (known.len() / n.max(1)).max(1);
    // New customers are new on every run (an earlier run's would be found as duplicates).
    let run = u64::try_from(crm.now().timestamp()).unwrap_or(0) % 10_000;
    let leads: Vec<Map<String, Json>> = (0..n)
        .map(|i| {
            let mut l = Map::new();
            l.insert("status".into(), Json::String("qualified".into()));
            if i % 2 == 0 {
                let k = &known[(i * stride) % known.len()];
                l.insert("name".into(), Json::String(k[0].clone()));
                l.insert("mobile".into(), Json::String(k[1].clone()));
                let core = k[2].trim_end_matches("有限公司").trim_end_matches("股份");
                l.insert("company".into(), Json::String(core.to_string()));
            } else {
                l.insert("name".into(), Json::String(format!("新客户{run:04}{i:05}")));
                l.insert(
                    "mobile".into(),
                    Json::String(format!("199{run:04}{:04}", (i * 7 + 1) % 10_000)),
                );
                l.insert(
                    "company".into(),
                    Json::String(format!("新航{run:04}{i:05}智能装备有限公司")),
                );
            }
            l
        })
        .collect();
    let mut ids = Vec::with_capacity(n);
    for chunk in leads.chunks(5_000) {
        for (record, _) in crm
            .bulk(&admin, "lead", chunk.to_vec(), None)
            .await?
            .into_iter()
            .flatten()
        {
            ids.extend(record.id());
        }
    }
    println!(
        "dataset: {total} contacts, {} accounts; converting {} leads",
        count(&crm, "accounts").await?,
        ids.len()
    );
    let (mut plans, mut conversions) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut linked_accounts, mut linked_contacts) = (0, 0);
    for id in &ids {
        let t = Instant::now();
        crm.conversion_plan(&admin, *id).await?;
        plans.push(t.elapsed());
        let t = Instant::now();
        let done = crm
            .convert_lead(
                &admin,
                *id,
                guanxi_services::leads::Conversion {
                    opportunity: Some(Map::new()),
                    ..Default::default()
                },
            )
            .await?;
        conversions.push(t.elapsed());
        linked_accounts += usize::from(done.account.as_ref().is_some_and(|a| !a.1));
        linked_contacts += usize::from(!done.contact.1);
    }
    report("conversion plan (duplicate check of company and person)", plans);
    report(
        "lead conversion (check, then account, contact, opportunity, lead in one transaction)",
        conversions,
    );
    println!(
        "linked to existing: {linked_accounts} accounts, {linked_contacts} contacts of {} leads",
        ids.len()
    );
    if let Some(i) = indexer {
        i.abort();
    }
    crm.close_search();
    Ok(())
}

/// The demo company's processes with 10,000 open project opportunities spread over the
/// open stages, in three currencies with reps' own probabilities on some, and 2,000 deals
/// won or lost in the last 90 days: the board page (columns, weighted totals, cards and
/// velocity), the pipeline API and the velocity API.
async fn pipeline(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    let (crm, admin, _keep) = bench_crm(storage).await?;
    if crm.sales_processes(&admin).await?.is_empty() {
        for p in guanxi_services::demo::sales_processes() {
            crm.save_sales_process(&admin, None, p).await?;
        }
    }
    let open_now = crm
        .pipeline(&admin, Some("project"), None, guanxi_core::Locale::ZhCn)
        .await?
        .open_count as usize;
    if open_now < 10_000 {
        let stages = ["prospecting", "qualification", "proposal", "negotiation"];
        let currencies = ["CNY", "CNY", "CNY", "USD", "EUR"];
        let batch: Vec<Map<String, Json>> = (open_now..10_000)
            .map(|i| {
                let mut o = Map::new();
                o.insert("name".into(), Json::String(format!("项目商机 {i:05}")));
                o.insert("process".into(), Json::String("project".into()));
                o.insert("stage".into(), Json::String(stages[i % stages.len()].into()));
                o.insert("close_date".into(), Json::String("2027-03-31".into()));
                o.insert(
                    "amount".into(),
                    serde_json::json!({"amount": format!("{}.{:02}", 10_000 + (i * 7919) % 990_000, i % 100),
                                       "currency": currencies[i % currencies.len()]}),
                );
                if i % 3 == 0 {
                    o.insert("probability".into(), Json::String(format!("{}", 5 + i % 90)));
                }
                o
            })
            .collect();
        for chunk in batch.chunks(5_000) {
            crm.bulk(&admin, "opportunity", chunk.to_vec(), None).await?;
        }
        let recent = (crm.now() - chrono::Duration::days(30)).to_rfc3339();
        let closed: Vec<Map<String, Json>> = (0..2_000)
            .map(|i| {
                let mut o = Map::new();
                o.insert("name".into(), Json::String(format!("已结商机 {i:05}")));
                o.insert("process".into(), Json::String("project".into()));
                let won = i % 5 < 2;
                o.insert(
                    "stage".into(),
                    Json::String(if won { "closed_won" } else { "closed_lost" }.into()),
                );
                if won {
                    o.insert("win_reason".into(), Json::String("product_fit".into()));
                } else {
                    o.insert("loss_reason".into(), Json::String("price".into()));
                }
                o.insert("stage_entered_at".into(), Json::String(recent.clone()));
                o.insert("close_date".into(), Json::String("2026-11-01".into()));
                o.insert(
                    "amount".into(),
                    serde_json::json!({"amount": format!("{}", 50_000 + i * 13), "currency": "CNY"}),
                );
                o
            })
            .collect();
        crm.bulk(&admin, "opportunity", closed, None).await?;
    }
    let running = startup::serve(crm.clone(), startup::bind("127.0.0.1:0").await?, false)?;
    let base = running.url();
    let (client, cookie) = signed_in(&base).await?;
    println!(
        "dataset: {} opportunities ({} open in project sales); {} requests per page",
        count(&crm, "opportunities").await?,
        crm.pipeline(&admin, Some("project"), None, guanxi_core::Locale::ZhCn)
            .await?
            .open_count,
        args.requests
    );
    let big: String = url::form_urlencoded::byte_serialize(b"amount gt 500000").collect();
    let pages = [
        (
            "board page: project sales, 10,000 open (columns, weighted totals, cards, velocity)",
            "/o/opportunities/board?process=project".to_string(),
        ),
        (
            "board page filtered (amount gt 500000)",
            format!("/o/opportunities/board?process=project&filter={big}"),
        ),
    ];
    time_pages(&client, &base, &cookie, &pages, args.requests).await?;
    let token = crm.create_token("bench@guanxi.local", "bench", Some(1)).await?;
    for path in [
        "/api/v1/pipeline?process=project",
        "/api/v1/pipeline/velocity?process=project&days=90",
    ] {
        let mut samples = Vec::with_capacity(args.requests);
        for i in 0..args.requests + 20 {
            let (d, _) = timed_json(&client, &format!("{base}{path}"), &token).await?;
            if i >= 20 {
                samples.push(d);
            }
        }
        report(&format!("GET {path}"), samples);
    }
    running.stop().await;
    Ok(())
}

/// Agents whose queues the cases are spread over.
const AGENTS: usize = 20;

async fn cases(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    let (crm, admin, _keep) = bench_crm(storage).await?;
    crm.set_sla_policy(
        &admin,
        &serde_json::json!({"targets": [
            {"first_response": 240, "resolution": 2400},
            {"type": "complaint", "first_response": 60, "resolution": 960},
            {"priority": "urgent", "first_response": 30, "resolution": 480}
        ]}),
    )
    .await?;
    let mut agents = Vec::with_capacity(AGENTS);
    for i in 0..AGENTS {
        let email = format!("agent{i:02}@guanxi.local");
        let id = match guanxi_storage::system::user_by_email(crm.db(), &email).await? {
            Some(u) => u.id,
            None => {
                crm.create_user(guanxi_services::identity::NewUser {
                    email: email.clone(),
                    name: format!("客服 {i:02}"),
                    password: None,
                    is_admin: false,
                    locale: guanxi_core::Locale::ZhCn,
                })
                .await?
                .id
            }
        };
        agents.push((id, email));
    }
    let have = count(&crm, "cases").await?;
    if have < args.cases {
        let t = Instant::now();
        let now = crm.now();
        let statuses = ["new", "in_progress", "waiting_customer", "escalated"];
        let types = ["inquiry", "repair", "complaint", "return"];
        let priorities = ["low", "medium", "high", "urgent"];
        let mut made = have;
        while made < args.cases {
            let n = (args.cases - made).min(5_000);
            let batch: Vec<Map<String, Json>> = (made..made + n)
                .map(|i| {
                    let mut c = Map::new();
                    c.insert("subject".into(), Json::String(format!("工单 {i:07}")));
                    // A tenth open, the rest resolved or closed.
                    let status = match i % 10 {
                        0 => statuses[(i / 10) % statuses.len()],
                        1..=5 => "closed",
                        _ => "resolved",
                    };
                    c.insert("status".into(), Json::String(status.into()));
                    c.insert("type".into(), Json::String(types[(i / 7) % types.len()].into()));
                    c.insert(
                        "priority".into(),
                        Json::String(priorities[(i / 3) % priorities.len()].into()),
                    );
                    c.insert("owner".into(), Json::String(agents[i % AGENTS].0.to_string()));
                    // Due times spread over the next 100 days (past ones for the closed).
                    let minutes = (i as i64 * 7_919) % (100 * 24 * 60);
                    let due = now + chrono::Duration::minutes(minutes);
                    c.insert("due_at".into(), Json::String(due.to_rfc3339()));
                    if status == "new" || status == "escalated" {
                        c.insert(
                            "first_response_due".into(),
                            Json::String((due - chrono::Duration::hours(20)).to_rfc3339()),
                        );
                    }
                    c
                })
                .collect();
            crm.bulk(&admin, "case", batch, None).await?;
            made += n;
        }
        eprintln!(
            "created {} cases in {:.1} s",
            args.cases - have,
            t.elapsed().as_secs_f64()
        );
        crm.refresh_statistics().await?;
    }
    let open = format!(
        "not status eq 'closed' and not status eq 'resolved' and owner eq '{}'",
        agents[0].0
    );
    let running = startup::serve(crm.clone(), startup::bind("127.0.0.1:0").await?, false)?;
    let base = running.url();
    println!(
        "dataset: {} cases, {AGENTS} agents, a tenth open; {} requests per list",
        count(&crm, "cases").await?,
        args.requests
    );
    let token = crm.create_token(&agents[0].1, "bench", Some(1)).await?;
    let client = reqwest::Client::new();
    let filter: String = url::form_urlencoded::byte_serialize(open.as_bytes()).collect();
    for (name, path) in [
        (
            "an agent's open cases, soonest due first (GET /api/v1/cases, 50)",
            format!("/api/v1/cases?filter={filter}&sort=due_at&limit=50"),
        ),
        (
            "an agent's open cases, newest first (GET /api/v1/cases, 50)",
            format!("/api/v1/cases?filter={filter}&sort=-created_at&limit=50"),
        ),
    ] {
        let mut samples = Vec::with_capacity(args.requests);
        for i in 0..args.requests + 20 {
            let (d, body) = timed_json(&client, &format!("{base}{path}"), &token).await?;
            if i == 0 && body["data"].as_array().is_none_or(|d| d.is_empty()) {
                return Err(format!("{name}: no cases listed").into());
            }
            if i >= 20 {
                samples.push(d);
            }
        }
        report(name, samples);
    }
    // The sweep: the first one at a moment warns and escalates what is due; a sweep at the
    // same moment again (as every minute: nothing new) shows what checking the timers costs.
    let now = crm.now() + chrono::Duration::days(1);
    let t = Instant::now();
    let first = crm.sweep_service_levels(now).await?;
    println!(
        "SLA sweep, first at a moment (writes {} warnings, {} escalations): {:.1} ms",
        first.warned,
        first.escalated,
        t.elapsed().as_secs_f64() * 1000.0
    );
    let mut samples = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let again = crm.sweep_service_levels(now).await?;
        samples.push(t.elapsed());
        if again != Default::default() {
            return Err("a repeated sweep wrote again".into());
        }
    }
    report("SLA sweep over the open cases, nothing new to tell", samples);
    running.stop().await;
    Ok(())
}

/// One CSV cell, quoted when it must be.
fn csv_cell(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// A contact list as a sales team exports it from Excel: Chinese headers, phones in every
/// format, mixed-case emails, company names with stray spaces and full-width letters,
/// a few repeated people and a few broken cells.
fn contact_csv(n: usize) -> String {
    const COLUMNS: &[(&str, &str)] = &[
        ("姓名", "name"),
        ("英文名", "english_name"),
        ("职位", "title"),
        ("部门", "department"),
        ("手机", "mobile"),
        ("电话", "phone"),
        ("邮箱", "email"),
        ("公司", ""),
        ("省份", "province"),
        ("城市", "city"),
        ("地址", "address"),
        ("微信", "wechat"),
    ];
    let mut g = Generator::new(11);
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let companies: Vec<String> = (0..(n / 20).max(1))
        .map(|i| g.account(i)["name"].as_str().unwrap_or("公司").to_string())
        .collect();
    let mut out = String::with_capacity(n * 160);
    for (i, (h, _)) in COLUMNS.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(h);
    }
    out.push_str("\r\n");
    for i in 0..n {
        let c = g.contact(i, None);
        for (k, (_, field)) in COLUMNS.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let mut text = match *field {
                "" => {
                    let name = &companies[rng.gen_range(0..companies.len())];
                    match rng.gen_range(0..10u32) {
                        0 => format!(" {name} "),
                        1 => name.to_uppercase(),
                        _ => name.clone(),
                    }
                }
                f => c.get(f).and_then(Json::as_str).unwrap_or("").to_string(),
            };
            if *field == "email" && rng.gen_range(0..4u32) == 0 {
                text = text.to_uppercase();
            }
            // One row in 500 has a broken email: it goes to the error file.
            if *field == "email" && !text.is_empty() && rng.gen_range(0..500u32) == 0 {
                text = text.replace('@', " at ");
            }
            csv_cell(&mut out, &text);
        }
        out.push_str("\r\n");
    }
    out
}

async fn import(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    use guanxi_services::import::{Event, ImportOptions};
    let (crm, actor, _keep) = bench_crm(storage).await?;
    let dir = tempfile::Builder::new()
        .prefix("guanxi-bench-import-")
        .tempdir()?;
    let start = Instant::now();
    let text = contact_csv(args.contacts);
    let (path, bytes) = if args.gb18030 {
        let (gb, _, _) = encoding_rs::GB18030.encode(&text);
        (dir.path().join("contacts-gb18030.csv"), gb.into_owned())
    } else {
        let mut b = "\u{feff}".as_bytes().to_vec();
        b.extend_from_slice(text.as_bytes());
        (dir.path().join("contacts.csv"), b)
    };
    drop(text);
    std::fs::write(&path, &bytes)?;
    eprintln!(
        "generated {} ({} rows, {:.1} MB) in {:.1}s",
        path.display(),
        args.contacts,
        bytes.len() as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    drop(bytes);
    let mut options = ImportOptions::default();
    if let Some(rows) = args.batch {
        options.batch_size = rows;
    }
    let report = crm
        .import(&actor, "contacts", &path, &options, &mut |_: &Event| {})
        .await
        .map_err(|e| e.message(guanxi_core::Locale::En))?;
    let c = &report.counts;
    println!(
        "import: {} rows in {:.2}s = {:.0} rows/s ({} {}; created {}, updated {}, skipped {} as duplicates, errors {}, accounts created {}; batches of {})",
        c.rows(),
        report.seconds,
        report.rate,
        report.format,
        report.encoding.as_deref().unwrap_or(""),
        c.created,
        c.updated,
        c.skipped,
        c.errors,
        c.accounts,
        options.batch_size
    );
    let p = &report.phases;
    println!(
        "where the time went: read+map {:.2}s, duplicate matching {:.2}s, accounts {:.2}s, write path {:.2}s, commit+checkpoint {:.2}s, building deferred indexes {:.2}s",
        p.read.as_secs_f64(),
        p.matching.as_secs_f64(),
        p.accounts.as_secs_f64(),
        p.write.as_secs_f64(),
        p.commit.as_secs_f64(),
        p.indexes.as_secs_f64()
    );
    crm.db().close().await;
    Ok(())
}

/// Text cells of a query over the database, for building search queries from real rows.
async fn texts(crm: &Crm, sql: &str, columns: usize) -> anyhow_lite::Result<Vec<Vec<String>>> {
    let kinds = vec![ColumnKind::Text; columns];
    Ok(crm
        .db()
        .fetch(Sql::with(crm.db().dialect(), sql), &kinds)
        .await?
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|a| a.as_text().unwrap_or_default().to_string())
                .collect()
        })
        .collect())
}

async fn search(args: &BenchArgs, storage: &Storage) -> anyhow_lite::Result<()> {
    use guanxi_core::matching::{company_core, pinyin_initials, pinyin_readings};
    let (crm, admin, _keep) = bench_crm(storage).await?;
    let total = ensure_contacts(&crm, &admin, args.contacts).await?;
    crm.open_search(guanxi_core::Locale::En)?;
    let start = Instant::now();
    let indexed = crm.rebuild_search().await?;
    let took = start.elapsed();
    println!(
        "index build: {indexed} records ({total} contacts and the other objects) in {:.1}s = {:.0} records/s",
        took.as_secs_f64(),
        rate(indexed as usize, took)
    );
    // Queries from stored rows, spread over the table by a stride on id order.
    let people = texts(
        &crm,
        "SELECT name, mobile, email FROM contacts WHERE mobile IS NOT NULL AND email IS NOT NULL \
         AND deleted_at IS NULL ORDER BY id LIMIT 20000",
        3,
    )
    .await?;
    let companies = texts(&crm, "SELECT name FROM accounts ORDER BY id LIMIT 5000", 1).await?;
    if people.is_empty() || companies.is_empty() {
        return Err("no contacts or accounts to build queries from".into());
    }
    type Make = fn(&[String], &[String]) -> Option<String>;
    let kinds: [(&str, Make); 6] = [
        ("Chinese name", |p, _| p.first().cloned()),
        ("full pinyin", |p, _| {
            p.first().and_then(|n| pinyin_readings(n).into_iter().next())
        }),
        ("initials", |p, _| {
            p.first().and_then(|n| pinyin_initials(n).into_iter().next())
        }),
        ("phone tail (last 4)", |p, _| {
            p.get(1).map(|m| {
                let d: Vec<char> = m.chars().filter(char::is_ascii_digit).collect();
                d[d.len().saturating_sub(4)..].iter().collect()
            })
        }),
        ("email", |p, _| p.get(2).cloned()),
        ("company without legal form", |_, c| {
            c.first().map(|n| company_core(n))
        }),
    ];
    let token = crm.create_token("bench@guanxi.local", "bench", Some(1)).await?;
    let running = startup::spawn(crm.clone(), startup::bind("127.0.0.1:0").await?)?;
    let base = running.url();
    let client = reqwest::Client::builder().pool_max_idle_per_host(4).build()?;
    println!(
        "dataset: {total} contacts; {} requests per query kind, one client, keep-alive, loopback, limit 10",
        args.requests
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut all = Vec::new();
    let mut empty = 0usize;
    for (name, make) in kinds {
        let mut samples = Vec::with_capacity(args.requests);
        for i in 0..args.requests + 20 {
            let p = &people[rng.gen_range(0..people.len())];
            let c = &companies[rng.gen_range(0..companies.len())];
            let Some(q) = make(p, c).filter(|q| !q.is_empty()) else {
                continue;
            };
            let url = format!(
                "{base}/api/v1/search?q={}&limit=10",
                url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            );
            let (t, body) = timed_json(&client, &url, &token).await?;
            if body["data"].as_array().is_none_or(|d| d.is_empty()) {
                empty += 1;
            }
            if i >= 20 {
                samples.push(t);
            }
        }
        all.extend(samples.iter().copied());
        report(&format!("search: {name}"), samples);
    }
    report("search: all kinds", all);
    if empty > 0 {
        println!("  ({empty} queries found nothing)");
    }
    // Write to searchable: create through the API, then search until it is found.
    let mut lags = Vec::new();
    for i in 0..20 {
        let name = format!("检索延迟{i}号{}", rng.gen_range(100_000..999_999));
        let t = Instant::now();
        client
            .post(format!("{base}/api/v1/contacts"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": name}))
            .send()
            .await?
            .error_for_status()?;
        let url = format!(
            "{base}/api/v1/search?q={}&object=contacts",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        );
        loop {
            let (_, body) = timed_json(&client, &url, &token).await?;
            if body["data"]
                .as_array()
                .is_some_and(|d| d.iter().any(|r| r["name"] == name.as_str()))
            {
                break;
            }
            if t.elapsed() > Duration::from_secs(10) {
                return Err(format!("{name} not searchable after 10 s").into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        lags.push(t.elapsed());
    }
    report("write → searchable (POST until found)", lags);
    running.stop().await;
    Ok(())
}
