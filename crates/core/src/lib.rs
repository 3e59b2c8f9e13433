//! Guanxi's pure core: metadata, values, validation, the query language, normalisation
//! and the message catalogue. No IO, no async, no clock: everything here is a function
//! of its inputs, so it is tested without a database.

pub mod access;
pub mod builtin;
pub mod channels;
pub mod coding;
pub mod conflict;
pub mod dedupe;
pub mod forecast;
pub mod i18n;
pub mod ical;
pub mod import;
pub mod matching;
pub mod metadata;
pub mod normalize;
pub mod process;
pub mod quality;
pub mod query;
pub mod quote;
pub mod rules;
pub mod sla;
pub mod tiers;
pub mod values;
pub mod vcard;

pub use i18n::{Locale, Msg};
pub use metadata::{ColumnKind, FieldDef, FieldType, Label, ObjectDef, Schema};
pub use values::{FieldError, ParseContext, Value};
