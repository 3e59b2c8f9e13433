//! The integration suite: the real server over HTTP on a random loopback port. Runs on
//! SQLite by default and on PostgreSQL when GUANXI_TEST_DATABASE_URL is set — the same
//! tests, so the two backends cannot drift. One test binary on purpose (link time).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod helpers;

mod audit;
mod auth;
mod bulk;
mod cases;
mod channels;
mod cli;
mod conflicts;
mod custom;
mod customer360;
mod duplicates;
mod export;
mod files;
mod filters;
mod forecasts;
mod ical;
mod import;
mod import_jobs;
mod knowledge;
mod leads;
mod lifecycle;
mod mail;
mod metadata_edit;
mod openapi;
mod pagination;
mod permissions;
mod portal;
mod privacy;
mod processes;
mod quality;
mod queues;
mod quotes;
mod records;
mod reviews;
mod rules;
mod search;
mod service_quality;
mod sessions;
mod sharing;
mod tiers;
mod validation;
mod vcard;
mod views;
mod web;
mod web_admin;
mod web_calendar;
mod web_lists;
mod web_quotes;
mod web_record;
mod web_settings;
