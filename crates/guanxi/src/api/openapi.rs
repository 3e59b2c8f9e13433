//! The OpenAPI 3.1 document, generated from the same metadata that drives the routes,
//! so every object — standard or custom — is documented exactly as it is served.

use guanxi_core::metadata::{FieldDef, FieldType};
use guanxi_core::{ObjectDef, Schema};
use serde_json::{Map, Value as Json, json};

fn pascal(name: &str) -> String {
    name.split('_')
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn field_schema(f: &FieldDef) -> Json {
    let base = match f.field_type {
        FieldType::Text | FieldType::LongText => json!({"type": "string", "maxLength": f.max_length()}),
        FieldType::Integer => json!({"type": "integer", "format": "int64"}),
        FieldType::Decimal | FieldType::Percent => {
            json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": format!("Exact decimal with {} places", f.scale())})
        }
        FieldType::Money => json!({
            "type": "object",
            "properties": {
                "amount": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}
            },
            "required": ["amount", "currency"],
            "description": "Money; on input a plain number or string is also accepted (currency CNY)"
        }),
        FieldType::Date => json!({"type": "string", "format": "date"}),
        FieldType::Datetime => json!({"type": "string", "format": "date-time"}),
        FieldType::Boolean => json!({"type": "boolean"}),
        FieldType::Picklist => {
            json!({"type": "string", "enum": f.options.iter().map(|o| o.value.clone()).collect::<Vec<_>>()})
        }
        FieldType::MultiPicklist => {
            json!({"type": "array", "items": {"type": "string", "enum": f.options.iter().map(|o| o.value.clone()).collect::<Vec<_>>()}})
        }
        FieldType::Tags => json!({"type": "array", "items": {"type": "string", "maxLength": 50}}),
        FieldType::Email => json!({"type": "string", "format": "email"}),
        FieldType::Phone => {
            json!({"type": "string", "description": "Stored in E.164 form; any common format accepted (CN by default)"})
        }
        FieldType::Url => json!({"type": "string", "format": "uri"}),
        FieldType::Lookup | FieldType::User | FieldType::Id => json!({"type": "string", "format": "uuid"}),
    };
    let mut schema =
        json!({"oneOf": [base, {"type": "null"}], "title": f.label.en, "description": f.label.zh_cn});
    if f.system && f.name != "owner" {
        schema["readOnly"] = json!(true);
    }
    schema
}

fn record_schemas(o: &ObjectDef) -> (Json, Json) {
    let mut props = Map::new();
    let mut input = Map::new();
    let mut required = Vec::new();
    for f in &o.fields {
        props.insert(f.name.clone(), field_schema(f));
        if f.writable() || f.name == "id" {
            input.insert(f.name.clone(), field_schema(f));
        }
        if f.required {
            required.push(f.name.clone());
        }
    }
    (
        json!({"type": "object", "title": o.label.en, "properties": props}),
        json!({"type": "object", "properties": input, "required": required, "additionalProperties": false}),
    )
}

fn problem_response(description: &str) -> Json {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn ok(description: &str, schema: Json) -> Json {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn errors() -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("401".into(), problem_response("No valid API token"));
    m.insert("404".into(), problem_response("No such record or collection"));
    m.insert(
        "422".into(),
        problem_response("Invalid input; `errors` names each field at fault"),
    );
    m
}

fn responses(pairs: Vec<(&str, Json)>) -> Json {
    let mut m = errors();
    for (k, v) in pairs {
        m.insert(k.into(), v);
    }
    Json::Object(m)
}

fn object_paths(o: &ObjectDef, paths: &mut Map<String, Json>) {
    let name = pascal(&o.name);
    let plural = pascal(&o.plural);
    let rec = json!({"$ref": format!("#/components/schemas/{name}")});
    let input = json!({"$ref": format!("#/components/schemas/{name}Input")});
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    let q = |n: &str, d: &str| json!({"name": n, "in": "query", "required": false, "schema": {"type": "string"}, "description": d});
    let tag = json!([o.plural_label.en]);
    paths.insert(
        format!("/api/v1/{}", o.plural),
        json!({
            "get": {
                "operationId": format!("list{plural}"), "tags": tag, "summary": format!("List {}", o.plural_label.en),
                "parameters": [
                    q("filter", "Filter, e.g. `city eq '上海' and (amount gt 1000 or stage in ('proposal','negotiation'))`. Operators: eq ne lt lte gt gte in contains starts_with is_null between; and, or, not, parentheses."),
                    q("sort", "One indexed field, `-` for descending (default `id`)."),
                    q("cursor", "`next_cursor` of the previous page."),
                    {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}},
                    q("fields", "Comma-separated fields to return (id and version always)."),
                    q("deleted", "`true` lists the recycle bin."),
                ],
                "responses": responses(vec![("200", ok("A page", json!({
                    "type": "object",
                    "properties": {"data": {"type": "array", "items": rec}, "next_cursor": {"type": ["string", "null"]}},
                    "required": ["data", "next_cursor"]
                })))]),
            },
            "post": {
                "operationId": format!("create{name}"), "tags": tag, "summary": format!("Create a {}", o.label.en),
                "requestBody": {"required": true, "content": {"application/json": {"schema": input}}},
                "responses": responses(vec![
                    ("201", ok("Created; ETag carries the version. A contact, account or lead that looks like existing records under a warning duplicate rule also carries `possible_duplicates` (id, name, score, reasons)", rec.clone())),
                    ("409", problem_response("A value of a unique field is taken, or a blocking duplicate rule refuses the record: `duplicates` lists the look-alikes with score and reasons")),
                ]),
            }
        }),
    );
    paths.insert(
        format!("/api/v1/{}/{{id}}", o.plural),
        json!({
            "parameters": [id_param],
            "get": {
                "operationId": format!("get{name}"), "tags": tag, "summary": format!("Get a {}", o.label.en),
                "parameters": [q("fields", "Comma-separated fields to return."), q("deleted", "`true` reads from the recycle bin.")],
                "responses": responses(vec![("200", ok("The record; ETag carries the version", rec.clone()))]),
            },
            "patch": {
                "operationId": format!("update{name}"), "tags": tag,
                "summary": format!("Update a {} (If-Match with the version read, or a `version` field)", o.label.en),
                "parameters": [{"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": responses(vec![
                    ("200", ok("Updated", rec.clone())),
                    ("409", problem_response("The `version` given is stale")),
                    ("412", problem_response("The If-Match version is stale")),
                    ("428", problem_response("No version given")),
                ]),
            },
            "delete": {
                "operationId": format!("delete{name}"), "tags": tag, "summary": format!("Move a {} to the recycle bin", o.label.en),
                "parameters": [{"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"}}],
                "responses": responses(vec![("200", ok("Deleted", rec.clone())), ("412", problem_response("Stale version"))]),
            }
        }),
    );
    paths.insert(
        format!("/api/v1/{}/{{id}}/restore", o.plural),
        json!({"parameters": [id_param], "post": {
            "operationId": format!("restore{name}"), "tags": tag, "summary": "Restore from the recycle bin",
            "responses": responses(vec![("200", ok("Restored", rec.clone())), ("409", problem_response("Not in the recycle bin"))]),
        }}),
    );
    paths.insert(
        format!("/api/v1/{}/{{id}}/history", o.plural),
        json!({"parameters": [id_param], "get": {
            "operationId": format!("history{name}"), "tags": tag, "summary": "Field history, newest first",
            "responses": responses(vec![("200", ok("History", json!({"type": "object", "properties": {"data": {"type": "array", "items": {"type": "object"}}}})))]),
        }}),
    );
    paths.insert(
        format!("/api/v1/{}/export", o.plural),
        json!({"get": {
            "operationId": format!("export{plural}"), "tags": tag,
            "summary": "The list as a CSV (UTF-8 with BOM) or XLSX file: same filter, sort and permissions, at most 100,000 rows; \
                        cells a spreadsheet would run as formulas start with an apostrophe; audited",
            "parameters": [
                {"name": "format", "in": "query", "required": false, "description": "vcf (vCard 4.0): contacts only",
                 "schema": {"type": "string", "enum": ["csv", "xlsx", "vcf"], "default": "csv"}},
                {"name": "filter", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "sort", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "fields", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "deleted", "in": "query", "required": false, "schema": {"type": "boolean"}},
                {"name": "encoding", "in": "query", "required": false, "description": "CSV only: utf-8 (with BOM) or gb18030",
                 "schema": {"type": "string", "enum": ["utf-8", "gb18030"], "default": "utf-8"}},
                {"name": "view", "in": "query", "required": false, "description": "A saved view whose filter, sort and columns apply where not given",
                 "schema": {"type": "string", "format": "uuid"}},
            ],
            "responses": responses(vec![
                ("200", json!({"description": "The file", "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "text/vcard": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}})),
            ]),
        }}),
    );
    let view = json!({"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid", "readOnly": true}, "object": {"type": "string", "readOnly": true},
        "owner": {"type": "string", "format": "uuid", "readOnly": true},
        "name": {"type": "string", "maxLength": 100}, "shared": {"type": "boolean", "description": "Shared with everyone (administrators only)"},
        "columns": {"type": "array", "items": {"type": "string"}}, "filter": {"type": ["string", "null"]}, "sort": {"type": ["string", "null"]}},
        "required": ["name"]});
    paths.insert(
        format!("/api/v1/{}/views", o.plural),
        json!({
            "get": {"operationId": format!("views{plural}"), "tags": tag, "summary": "Saved list views: the caller's and the shared ones",
                    "responses": responses(vec![("200", ok("Views", json!({"type": "object", "properties": {"data": {"type": "array", "items": view}}})))])},
            "post": {"operationId": format!("addView{plural}"), "tags": tag, "summary": "Save a list view (columns, filter, sort)",
                     "requestBody": {"required": true, "content": {"application/json": {"schema": view}}},
                     "responses": responses(vec![("201", ok("Saved", view.clone())), ("403", problem_response("Only administrators share views"))])},
        }),
    );
    paths.insert(
        format!("/api/v1/{}/views/{{id}}", o.plural),
        json!({"parameters": [id_param],
            "put": {"operationId": format!("putView{plural}"), "tags": tag, "summary": "Replace one of the caller's views",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": view}}},
                    "responses": responses(vec![("200", ok("Saved", view.clone())), ("404", problem_response("No such view of the caller's"))])},
            "delete": {"operationId": format!("deleteView{plural}"), "tags": tag, "summary": "Delete one of the caller's views",
                       "responses": responses(vec![("204", json!({"description": "Deleted"})), ("404", problem_response("No such view of the caller's"))])},
        }),
    );
    paths.insert(
        format!("/api/v1/{}/bulk", o.plural),
        json!({"post": {
            "operationId": format!("bulk{plural}"), "tags": tag,
            "summary": "Create up to 10,000 records, or upsert them by an external-id field",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"records": {"type": "array", "items": {"type": "object"}, "maxItems": 10000}, "upsert_on": {"type": "string"}},
                "required": ["records"]
            }}}},
            "responses": responses(vec![
                ("200", ok("One result per record", json!({"type": "object", "properties": {
                    "created": {"type": "integer"}, "updated": {"type": "integer"}, "failed": {"type": "integer"},
                    "results": {"type": "array", "items": {"type": "object"}}
                }}))),
                ("413", problem_response("More than 10,000 records")),
            ]),
        }}),
    );
}

/// One customer's view (accounts and contacts), a contact's channel preferences, consent
/// log and the "may we contact now?" question.
fn customer_paths(paths: &mut Map<String, Json>) {
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    let channel = json!({"type": "string", "description": "A value of the activity channel picklist (phone, email, wechat, sms…)"});
    let prefs = json!({"type": "object", "additionalProperties": false, "properties": {
        "preferred": {"type": "array", "items": channel, "description": "Most preferred first"},
        "windows": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["days", "from", "to"], "properties": {
            "days": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 7}, "description": "1 = Monday … 7 = Sunday"},
            "from": {"type": "string", "example": "09:00:00"}, "to": {"type": "string", "example": "18:00:00"}}}},
        "time_zone": {"type": ["string", "null"], "description": "IANA zone the windows are in (default Asia/Shanghai)"},
        "limits": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["channel", "max", "period"], "properties": {
            "channel": channel, "max": {"type": "integer", "minimum": 1}, "period": {"type": "string", "enum": ["day", "week", "month"]}}}},
        "do_not_contact": {"type": "array", "items": channel}}});
    let consent = json!({"type": "object", "required": ["channel", "granted", "source"], "properties": {
        "channel": channel, "granted": {"type": "boolean"}, "source": {"type": "string", "maxLength": 200},
        "at": {"type": "string", "format": "date-time", "readOnly": true}}});
    let tag = json!(["Contacts"]);
    let records = json!({"type": "array", "items": {"type": "object"}});
    let view = json!({"type": "object", "properties": {
        "object": {"type": "string", "enum": ["account", "contact"]},
        "record": {"type": "object"},
        "contacts": records.clone(),
        "reports_to": {"type": ["object", "null"]},
        "direct_reports": records.clone(),
        "timeline": {"type": "array", "description": "Activities on every channel and service cases, newest first (≤ 200); each with `kind` and `at`",
                     "items": {"type": "object"}},
        "open_opportunities": records.clone(),
        "open_cases": records.clone(),
        "lifetime_value": {"type": "array", "items": {"type": "object", "properties": {"currency": {"type": "string"}, "amount": {"type": "string"}}}},
        "last_contact": {"type": ["string", "null"], "format": "date-time"},
        "next_contact": {"type": ["string", "null"], "format": "date-time"}}});
    paths.insert(
        "/api/v1/contacts/vcard".into(),
        json!({"post": {"operationId": "importVcards", "tags": tag,
            "summary": "Import a vCard stream (3.0 or 4.0) as contacts; a card whose UID is a readable contact updates it; organisations link to (or create) accounts",
            "requestBody": {"required": true, "content": {"text/vcard": {"schema": {"type": "string"}}}},
            "responses": responses(vec![
                ("200", ok("One result per card", json!({"type": "object", "properties": {
                    "created": {"type": "integer"}, "updated": {"type": "integer"}, "failed": {"type": "integer"},
                    "results": {"type": "array", "items": {"type": "object"}}}}))),
                ("422", problem_response("The stream cannot be read (the line is named)"))])}}),
    );
    for (plural, tag) in [("accounts", "Accounts"), ("contacts", "Contacts")] {
        paths.insert(
            format!("/api/v1/{plural}/{{id}}/360"),
            json!({"parameters": [id_param], "get": {"operationId": format!("view360{tag}"), "tags": [tag],
                "summary": "The customer's whole picture: contacts and relationships, every interaction, open business and cases, lifetime value, last and next contact — what the caller may see",
                "responses": responses(vec![("200", ok("The view", view.clone())), ("404", problem_response("No such record the caller may read"))])}}),
        );
    }
    paths.insert(
        "/api/v1/contacts/{id}/channel-preferences".into(),
        json!({"parameters": [id_param],
            "get": {"operationId": "channelPreferences", "tags": tag, "summary": "A contact's channel preferences",
                    "responses": responses(vec![("200", ok("Preferences", prefs.clone()))])},
            "put": {"operationId": "putChannelPreferences", "tags": tag, "summary": "Replace a contact's channel preferences (needs edit access; audited)",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": prefs}}},
                    "responses": responses(vec![("200", ok("Preferences", prefs.clone()))])}}),
    );
    paths.insert(
        "/api/v1/contacts/{id}/consents".into(),
        json!({"parameters": [id_param],
            "get": {"operationId": "consents", "tags": tag, "summary": "The consent log, newest first",
                    "responses": responses(vec![("200", ok("Consents", json!({"type": "object", "properties": {"data": {"type": "array", "items": consent}}})))])},
            "post": {"operationId": "addConsent", "tags": tag, "summary": "Record consent given or withdrawn on a channel, with its source (audited)",
                     "requestBody": {"required": true, "content": {"application/json": {"schema": consent}}},
                     "responses": responses(vec![("201", ok("Recorded", consent.clone()))])}}),
    );
    paths.insert(
        "/api/v1/contacts/{id}/may-contact".into(),
        json!({"parameters": [id_param,
                {"name": "channel", "in": "query", "required": true, "schema": channel},
                {"name": "at", "in": "query", "required": false, "schema": {"type": "string", "format": "date-time"}}],
            "get": {"operationId": "mayContact", "tags": tag,
                    "summary": "May this contact be contacted on this channel now (or at `at`)? Preferences, consent, opt-out and frequency limits",
                    "responses": responses(vec![("200", ok("Decision", json!({"type": "object", "properties": {
                        "channel": channel, "allowed": {"type": "boolean"}, "used_this_period": {"type": ["integer", "null"]},
                        "refusals": {"type": "array", "items": {"type": "object", "properties": {
                            "code": {"type": "string", "enum": ["do_not_contact", "consent_withdrawn", "outside_window", "limit_reached"]},
                            "message": {"type": "string"}}}}}})))])}}),
    );
}

/// Imports from a file uploaded over the API, followed while they run.
fn import_paths(paths: &mut Map<String, Json>) {
    let uuid = json!({"type": "string", "format": "uuid"});
    let id_param = json!({"name": "id", "in": "path", "required": true, "schema": uuid});
    let counts = json!({"type": "object", "properties": {"created": {"type": "integer"}, "updated": {"type": "integer"},
        "skipped": {"type": "integer"}, "errors": {"type": "integer"}, "accounts": {"type": "integer"}}});
    let job = json!({"type": "object", "properties": {
        "id": uuid, "object": {"type": "string"}, "file_name": {"type": "string"},
        "status": {"type": "string", "enum": ["running", "done", "failed", "interrupted"]},
        "dry_run": {"type": "boolean"}, "on_duplicate": {"type": "string", "enum": ["skip", "merge", "create"]},
        "counts": counts, "rows": {"type": "integer"}, "fraction": {"type": "number"}, "rate": {"type": "number"},
        "seconds": {"type": "number"}, "message": {"type": ["string", "null"]},
        "unknown_columns": {"type": "array", "items": {"type": "string"}},
        "resumed_after": {"type": ["integer", "null"]}, "has_errors": {"type": "boolean"},
        "errors_url": {"type": ["string", "null"]},
        "created_by": uuid, "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"}}});
    let tag = ["Imports"];
    paths.insert(
        "/api/v1/{plural}/imports".into(),
        json!({"parameters": [{"name": "plural", "in": "path", "required": true, "schema": {"type": "string"}}],
            "post": {"operationId": "startImport", "tags": tag,
                "summary": "Import the request body — CSV (UTF-8 with or without BOM, UTF-16, GB18030/GBK) or XLSX, up to 512 MB — in the background, as `guanxi import` does: columns by field name or label, company names linked to accounts, failed rows reported",
                "parameters": [
                    {"name": "file_name", "in": "query", "required": false, "schema": {"type": "string"}},
                    {"name": "dry_run", "in": "query", "required": false, "schema": {"type": "boolean"}},
                    {"name": "on_duplicate", "in": "query", "required": false, "schema": {"type": "string", "enum": ["skip", "merge", "create"]}}],
                "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": responses(vec![
                    ("202", ok("Started; follow it at the Location", job.clone())),
                    ("403", problem_response("May not create records of this object")),
                    ("413", problem_response("Larger than 512 MB")),
                    ("422", problem_response("Empty file or unknown on_duplicate"))])}}),
    );
    paths.insert(
        "/api/v1/imports".into(),
        json!({"get": {"operationId": "imports", "tags": tag, "summary": "The caller's imports, newest first (administrators: everyone's)",
            "responses": responses(vec![("200", ok("Imports", json!({"type": "object", "properties": {"data": {"type": "array", "items": job}}})))])}}),
    );
    paths.insert(
        "/api/v1/imports/{id}".into(),
        json!({"parameters": [id_param], "get": {"operationId": "importStatus", "tags": tag,
            "summary": "Status, counts and progress; `interrupted` when its server stopped while it ran",
            "responses": responses(vec![("200", ok("The import", job.clone())), ("404", problem_response("No such import of the caller's"))])}}),
    );
    paths.insert(
        "/api/v1/imports/{id}/errors".into(),
        json!({"parameters": [id_param], "get": {"operationId": "importErrors", "tags": tag,
            "summary": "The rows that failed: row number, field, reason and the row as read (CSV)",
            "responses": responses(vec![("200", json!({"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}})),
                ("404", problem_response("No failed rows"))])}}),
    );
    paths.insert(
        "/api/v1/imports/{id}/resume".into(),
        json!({"parameters": [id_param], "post": {"operationId": "resumeImport", "tags": tag,
            "summary": "Resume an interrupted or failed import (its starter only): rows already written are not written again",
            "responses": responses(vec![("202", ok("Resumed", job)), ("422", problem_response("Not interrupted or failed, or its file is gone"))])}}),
    );
}

/// Data quality (administrators): a record's score, an object's report, completeness fields.
fn quality_paths(paths: &mut Map<String, Json>) {
    let uuid = json!({"type": "string", "format": "uuid"});
    let plural_param = json!({"name": "plural", "in": "path", "required": true, "schema": {"type": "string"},
        "description": "The object's plural API name (contacts, accounts, …)"});
    let id_param = json!({"name": "id", "in": "path", "required": true, "schema": uuid});
    let invalid = json!({"type": "array", "items": {"type": "object", "properties": {
        "field": {"type": "string"}, "code": {"type": "string"}, "detail": {"type": "string"}}}});
    let score = json!({"type": "integer", "minimum": 0, "maximum": 100});
    let forbidden = || problem_response("Not an administrator");
    paths.insert(
        "/api/v1/{plural}/{id}/quality".into(),
        json!({"parameters": [plural_param, id_param], "get": {"operationId": "recordQuality", "tags": ["Data quality"],
            "summary": "A record's data-quality score out of 100 (completeness 50, validity 30, no duplicates 20) with what is missing and what is invalid",
            "responses": responses(vec![
                ("200", ok("The record's quality", json!({"type": "object", "properties": {
                    "score": score, "completeness": {"type": "number"}, "validity": {"type": "number"},
                    "missing": {"type": "array", "items": {"type": "string"}}, "invalid": invalid,
                    "duplicate_score": score}}))),
                ("403", forbidden()), ("404", problem_response("No such record"))])}}),
    );
    let fields = json!({"type": "object", "required": ["fields"], "properties": {
        "fields": {"type": "array", "items": {"type": "string"}, "minItems": 1}}});
    paths.insert(
        "/api/v1/admin/data-quality/{plural}".into(),
        json!({"parameters": [plural_param],
            "get": {"operationId": "objectQuality", "tags": ["Data quality"],
                "summary": "An object's data quality over its live records: mean score, fill rate of each completeness field, invalid values per field, records with possible duplicates, score bands, the lowest-scoring records",
                "responses": responses(vec![
                    ("200", ok("The object's quality", json!({"type": "object", "properties": {
                        "object": {"type": "string"}, "records": {"type": "integer"}, "score": score,
                        "completeness_fields": {"type": "array", "items": {"type": "string"}},
                        "fill_rates": {"type": "object", "additionalProperties": {"type": "number"}},
                        "records_with_invalid": {"type": "integer"},
                        "invalid_by_field": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "records_with_duplicates": {"type": "integer"},
                        "bands": {"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 3},
                        "worst": {"type": "array", "items": {"type": "object", "properties": {
                            "id": uuid, "name": {"type": "string"}, "score": score}}}}}))),
                    ("403", forbidden())])},
            "put": {"operationId": "putQualityFields", "tags": ["Data quality"],
                "summary": "Choose the fields that make a record of this object complete (audited as quality.fields)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": fields}}},
                "responses": responses(vec![("200", ok("The fields", fields.clone())), ("403", forbidden()),
                    ("422", problem_response("Unknown field, or no fields"))])}}),
    );
}

/// Privacy requests for people (contacts and leads): export and erase.
fn privacy_paths(paths: &mut Map<String, Json>) {
    let uuid = json!({"type": "string", "format": "uuid"});
    let id_param = json!({"name": "id", "in": "path", "required": true, "schema": uuid});
    for (plural, tag) in [("contacts", "Contacts"), ("leads", "Leads")] {
        paths.insert(
            format!("/api/v1/{plural}/{{id}}/personal-data"),
            json!({"parameters": [id_param], "get": {"operationId": format!("personalData{tag}"), "tags": [tag],
                "summary": "Everything held about the person: the record, its field history, channel preferences and consents, every record pointing at it and the audit entries about it (administrators; audited as privacy.export)",
                "responses": responses(vec![
                    ("200", ok("The person's data", json!({"type": "object", "properties": {
                        "subject": {"type": "object"}, "generated_at": {"type": "string", "format": "date-time"},
                        "record": {"type": "object"}, "history": {"type": "array", "items": {"type": "object"}},
                        "channel_preferences": {"type": ["object", "null"]},
                        "consents": {"type": "array", "items": {"type": "object"}},
                        "related": {"type": "object"}, "audit": {"type": "array", "items": {"type": "object"}}}}))),
                    ("403", problem_response("Not an administrator")),
                    ("404", problem_response("No such person"))])}}),
        );
        paths.insert(
            format!("/api/v1/{plural}/{{id}}/erase"),
            json!({"parameters": [id_param], "post": {"operationId": format!("erase{tag}"), "tags": [tag],
                "summary": "Erase the person: name replaced; texts, emails, phones, dates and tags emptied; field history, consents and channel preferences removed; linked activities lose subject, notes and location. Amounts, picklists and links stay (administrators; audited as privacy.erase; cannot be undone)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
                    "required": ["confirm"], "properties": {"confirm": {"type": "boolean", "const": true}}}}}},
                "responses": responses(vec![
                    ("200", ok("What was erased", json!({"type": "object", "properties": {
                        "object": {"type": "string"}, "id": uuid, "fields": {"type": "array", "items": {"type": "string"}},
                        "history_removed": {"type": "integer"}, "consents_removed": {"type": "integer"},
                        "activities_scrubbed": {"type": "integer"}}}))),
                    ("403", problem_response("Not an administrator")),
                    ("404", problem_response("No such person")),
                    ("422", problem_response("`confirm` is not true"))])}}),
        );
    }
}

/// Teams, sharing rules and territories (administration) and records shared by hand.
fn process_paths(paths: &mut Map<String, Json>) {
    let uuid = json!({"type": "string", "format": "uuid"});
    let id_param = json!({"name": "id", "in": "path", "required": true, "schema": uuid});
    let label = json!({"type": "object", "required": ["en", "zh-CN", "zh-TW"], "properties": {
        "en": {"type": "string"}, "zh-CN": {"type": "string"}, "zh-TW": {"type": "string"}}});
    let names = json!({"type": "array", "items": {"type": "string"}});
    let stage = json!({"type": "object", "required": ["stage", "probability", "forecast"], "properties": {
        "stage": {"type": "string", "description": "A value of the opportunity's stage picklist"},
        "probability": {"type": ["number", "string"], "description": "0–100, set on entering the stage"},
        "forecast": {"type": "string", "enum": ["pipeline", "best_case", "commit", "closed", "omitted"]},
        "outcome": {"type": "string", "enum": ["open", "won", "lost"], "default": "open"},
        "entry_fields": names.clone(), "exit_fields": names.clone(),
        "exit_activities": {"type": "array", "items": {"type": "string"}, "description": "Activity types; one completed on the opportunity each"},
        "checklist": {"type": "array", "items": {"type": "object", "required": ["key", "label"], "properties": {"key": {"type": "string"}, "label": label}}},
        "guidance": label}});
    let process = json!({"type": "object", "required": ["name", "label", "stages"], "properties": {
        "id": {"type": "string", "format": "uuid", "readOnly": true},
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,59}$"}, "label": label,
        "stages": {"type": "array", "items": stage},
        "may_skip": {"type": "array", "items": uuid, "description": "Roles whose users may skip stages and reopen closed opportunities"},
        "default": {"type": "boolean"}, "active": {"type": "boolean", "default": true}}});
    let list = json!({"type": "object", "properties": {"data": {"type": "array", "items": process}}});
    let op = |id: &str, summary: &str, status: &str, body: Option<&Json>, resp: Json| {
        let mut o = json!({"operationId": id, "tags": ["Sales"], "summary": summary,
            "responses": responses(vec![(status, resp), ("403", problem_response("Not allowed")), ("422", problem_response("The definition names its faults"))])});
        if let Some(b) = body {
            o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": b}}});
        }
        o
    };
    paths.insert(
        "/api/v1/sales-processes".into(),
        json!({"get": op("listSalesProcesses", "Sales processes (any staff user)", "200", None, ok("Processes", list)),
               "post": op("addSalesProcess", "Add a sales process (administrators)", "201", Some(&process), ok("Created", process.clone()))}),
    );
    paths.insert(
        "/api/v1/sales-processes/{id}".into(),
        json!({"parameters": [id_param.clone()],
               "get": op("getSalesProcess", "One sales process", "200", None, ok("Process", process.clone())),
               "put": op("putSalesProcess", "Replace a sales process (administrators)", "200", Some(&process), ok("Process", process.clone())),
               "delete": op("deleteSalesProcess", "Delete a process no live opportunity follows", "204", None, json!({"description": "Done"}))}),
    );
    let guidance = json!({"type": "object", "properties": {
        "process": {"type": "string"}, "process_label": {"type": "string"}, "stage": {"type": ["string", "null"]},
        "stages": {"type": "array", "items": {"type": "object"}}, "next": {"type": ["object", "null"]},
        "requirements": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["field", "activity", "checklist"]}, "name": {"type": "string"},
            "label": {"type": "string"}, "met": {"type": "boolean"}, "when": {"type": "string", "enum": ["entry", "exit"]}}}},
        "guidance": {"type": ["string", "null"]}, "may_skip": {"type": "boolean"},
        "in_stage_since": {"type": ["string", "null"], "format": "date-time"},
        "history": {"type": "array", "items": {"type": "object"}}}});
    paths.insert(
        "/api/v1/opportunities/{id}/guidance".into(),
        json!({"parameters": [id_param],
               "get": {"operationId": "getStageGuidance", "tags": ["Sales"],
                       "summary": "The opportunity's process path, what moving on requires, and its stage history",
                       "responses": responses(vec![("200", ok("Guidance", guidance)), ("404", problem_response("No such opportunity, or no process applies"))])}}),
    );
    let amount = json!({"type": "object", "properties": {"currency": {"type": "string"},
        "sum": {"type": "string", "description": "Decimal"}, "weighted": {"type": "string", "description": "Each amount times its probability, summed"}}});
    let amounts = json!({"type": "array", "items": amount});
    let process_q = json!({"name": "process", "in": "query", "schema": {"type": "string"}, "description": "A process's name; the default process when absent"});
    let pipeline = json!({"type": "object", "properties": {
        "process": {"type": "string"}, "process_label": {"type": "string"},
        "processes": {"type": "array", "items": {"type": "object"}}, "filter": {"type": "string"},
        "columns": {"type": "array", "items": {"type": "object", "properties": {
            "stage": {"type": ["string", "null"]}, "label": {"type": "string"}, "probability": {"type": ["string", "null"]},
            "forecast": {"type": ["string", "null"]}, "outcome": {"type": ["string", "null"]}, "in_process": {"type": "boolean"},
            "count": {"type": "integer"}, "amounts": amounts.clone(), "filter": {"type": "string"}}}},
        "open_count": {"type": "integer"}, "open": amounts}});
    paths.insert(
        "/api/v1/pipeline".into(),
        json!({"get": {"operationId": "getPipeline", "tags": ["Sales"],
                       "summary": "A process's stages with counts, amounts and weighted amounts over the opportunities the reader may read",
                       "parameters": [process_q.clone(), {"name": "filter", "in": "query", "schema": {"type": "string"}}],
                       "responses": responses(vec![("200", ok("Pipeline", pipeline)), ("404", problem_response("No sales process is defined")), ("422", problem_response("Unknown process or bad filter"))])}}),
    );
    let velocity = json!({"type": "object", "properties": {
        "process": {"type": "string"}, "days": {"type": "integer"}, "since": {"type": "string", "format": "date-time"},
        "open_count": {"type": "integer"}, "won": {"type": "integer"}, "lost": {"type": "integer"},
        "win_rate": {"type": ["string", "null"]}, "average_cycle_days": {"type": ["string", "null"]},
        "currencies": {"type": "array", "items": {"type": "object"}},
        "win_reasons": {"type": "array", "items": {"type": "object"}}, "loss_reasons": {"type": "array", "items": {"type": "object"}}}});
    paths.insert(
        "/api/v1/pipeline/velocity".into(),
        json!({"get": {"operationId": "getPipelineVelocity", "tags": ["Sales"],
                       "summary": "Open count × win rate × average won amount ÷ sales cycle, over deals closed in the last `days` days; with win and loss reasons",
                       "parameters": [process_q, {"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 730, "default": 90}}],
                       "responses": responses(vec![("200", ok("Velocity", velocity)), ("404", problem_response("No sales process is defined")), ("422", problem_response("Bad days or unknown process"))])}}),
    );
    let lead_id =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    let look_alike = json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
        "score": {"type": "integer"}, "reasons": {"type": "array", "items": {"type": "object"}}}});
    paths.insert(
        "/api/v1/leads/{id}/conversion".into(),
        json!({"parameters": [lead_id.clone()],
               "get": {"operationId": "getLeadConversion", "tags": ["Sales"],
                       "summary": "What converting the lead would link to: look-alike accounts and contacts with score and reasons, the ones chosen by default, and the opportunity it would open",
                       "responses": responses(vec![("200", ok("Conversion plan", json!({"type": "object", "properties": {
                           "account": {"type": ["string", "null"]}, "contact": {"type": ["string", "null"]},
                           "accounts": {"type": "array", "items": look_alike.clone()}, "contacts": {"type": "array", "items": look_alike},
                           "opportunity": {"type": "object"}}}))),
                           ("404", problem_response("No such lead")), ("422", problem_response("The lead is converted already"))])}}),
    );
    let link = json!({"type": "string", "description": "auto (the best look-alike, else new), new, or a record id", "default": "auto"});
    paths.insert(
        "/api/v1/leads/{id}/convert".into(),
        json!({"parameters": [lead_id],
               "post": {"operationId": "convertLead", "tags": ["Sales"],
                        "summary": "Convert the lead into account, contact and opportunity in one transaction, linking to existing look-alikes",
                        "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {
                            "account": link.clone(), "contact": link,
                            "opportunity": {"oneOf": [{"type": "boolean", "const": false}, {"type": "object"}], "description": "false: none; fields override the lead's defaults"}}}}}},
                        "responses": responses(vec![("201", ok("Converted", json!({"type": "object", "properties": {
                            "lead": {"type": "object"}, "account": {"type": ["object", "null"]}, "account_created": {"type": "boolean"},
                            "contact": {"type": "object"}, "contact_created": {"type": "boolean"}, "opportunity": {"type": ["object", "null"]}}}))),
                            ("404", problem_response("No such lead")), ("422", problem_response("Names what stops the conversion (account, contact.email, opportunity.close_date…)"))])}}),
    );
    let period = json!({"name": "period", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2]|[Qq][1-4])$"}, "description": "A month (2026-11) or quarter (2026-Q4); the current quarter when absent"});
    let figures = json!({"type": "object", "properties": {"pipeline": {"type": "string"}, "best_case": {"type": "string"},
        "commit": {"type": "string"}, "closed": {"type": "string"}, "quota": {"type": ["string", "null"]}}});
    paths.insert(
        "/api/v1/forecasts".into(),
        json!({"get": {"operationId": "getForecast", "tags": ["Sales"],
                       "summary": "Per role (its whole branch) and rep: pipeline, best case, commit and closed of the opportunities closing in the period, in one currency, against quota",
                       "parameters": [period.clone(), {"name": "currency", "in": "query", "schema": {"type": "string"}, "description": "ISO 4217; the caller's currency when absent"}],
                       "responses": responses(vec![("200", ok("Forecast", json!({"type": "object", "properties": {
                           "period": {"type": "string"}, "currency": {"type": "string"}, "other_currencies": {"type": "integer"},
                           "lines": {"type": "array", "items": {"type": "object", "properties": {
                               "role": {"type": ["string", "null"]}, "name": {"type": "string"}, "depth": {"type": "integer"},
                               "total": figures, "forecast": {"type": "string"}, "attainment": {"type": ["string", "null"]},
                               "people": {"type": "array", "items": {"type": "object"}}}}}}}))),
                           ("422", problem_response("Bad period"))])}}),
    );
    let quota = json!({"type": "object", "required": ["user", "period"], "properties": {"user": {"type": "string", "format": "uuid"},
        "period": {"type": "string"}, "amount": {"type": ["string", "number", "null"], "description": "null removes the quota"}, "currency": {"type": "string"}}});
    paths.insert(
        "/api/v1/quotas".into(),
        json!({"get": {"operationId": "listQuotas", "tags": ["Sales"], "summary": "The quotas of a period (administrators)", "parameters": [period],
                       "responses": responses(vec![("200", ok("Quotas", json!({"type": "object", "properties": {"data": {"type": "array", "items": quota.clone()}}}))), ("403", problem_response("Not allowed"))])},
               "put": {"operationId": "putQuota", "tags": ["Sales"], "summary": "Set or remove a rep's quota for a month or quarter (administrators; audited)",
                       "requestBody": {"required": true, "content": {"application/json": {"schema": quota}}},
                       "responses": responses(vec![("200", ok("Quota", json!({"type": "object"}))), ("403", problem_response("Not allowed")), ("422", problem_response("Names the bad field"))])}}),
    );
    let scope = json!({"name": "scope", "in": "query", "schema": {"type": "string", "enum": ["mine", "team"], "default": "mine"}});
    paths.insert(
        "/api/v1/me/calendar.ics".into(),
        json!({"get": {"operationId": "getMyCalendar", "tags": ["Activities"],
                       "summary": "The caller's (or their team's) activities from 30 days back to 180 ahead as iCalendar (RFC 5545): times in UTC, tasks as all-day items, reminders as alarms",
                       "parameters": [scope],
                       "responses": responses(vec![("200", json!({"description": "iCalendar", "content": {"text/calendar": {"schema": {"type": "string"}}}})),
                                                   ("422", problem_response("Bad scope"))])}}),
    );
    let feed = json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "scope": {"type": "string", "enum": ["mine", "team"]},
        "created_at": {"type": "string", "format": "date-time"}, "url": {"type": "string", "description": "Only in the answer to POST: the secret link, shown once"}}});
    paths.insert(
        "/api/v1/me/calendar-feeds".into(),
        json!({"get": {"operationId": "listCalendarFeeds", "tags": ["Activities"], "summary": "The caller's feed links (without their secrets)",
                       "responses": responses(vec![("200", ok("Feeds", json!({"type": "object", "properties": {"data": {"type": "array", "items": feed.clone()}}})))])},
               "post": {"operationId": "createCalendarFeed", "tags": ["Activities"], "summary": "A secret link /ical/{secret}.ics calendar apps read without signing in",
                        "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"scope": {"type": "string", "enum": ["mine", "team"]}}}}}},
                        "responses": responses(vec![("201", ok("Feed", feed)), ("422", problem_response("Bad scope"))])}}),
    );
    paths.insert(
        "/api/v1/me/calendar-feeds/{id}".into(),
        json!({"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
               "delete": {"operationId": "revokeCalendarFeed", "tags": ["Activities"], "summary": "Revoke a feed link: it answers 404 from then on",
                          "responses": responses(vec![("204", json!({"description": "Revoked"})), ("404", problem_response("No such feed of the caller's"))])}}),
    );
}

fn quote_paths(paths: &mut Map<String, Json>) {
    let quote_id =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    let comment = |required: bool| {
        let mut body = json!({"type": "object", "properties": {"comment": {"type": "string"}}});
        if required {
            body["required"] = json!(["comment"]);
        }
        json!({"required": required, "content": {"application/json": {"schema": body}}})
    };
    let person = json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}}});
    paths.insert(
        "/api/v1/quotes/{id}/approval".into(),
        json!({"parameters": [quote_id.clone()],
               "get": {"operationId": "getQuoteApproval", "tags": ["Sales"],
                       "summary": "Where the quote's discount approval stands: largest discount from list, the threshold, who approves, the last decision",
                       "responses": responses(vec![("200", ok("Approval", json!({"type": "object", "properties": {
                           "status": {"type": "string"}, "max_discount": {"type": "string"}, "threshold": {"type": "string"},
                           "needs_approval": {"type": "boolean"}, "approvers": {"type": "array", "items": person.clone()},
                           "may_decide": {"type": "boolean"}, "submitted_at": {"type": ["string", "null"]},
                           "decided_by": {"oneOf": [person, {"type": "null"}]}, "decided_at": {"type": ["string", "null"]},
                           "comment": {"type": ["string", "null"]}}}))), ("404", problem_response("No such quote"))])}}),
    );
    for (path, id, summary, required, what) in [
        (
            "submit",
            "submitQuote",
            "Submit a quote discounted beyond the threshold for approval; the owner's managers are notified (audited)",
            false,
            "Not a draft or rejected quote, no lines, or no approval needed",
        ),
        (
            "approve",
            "approveQuote",
            "Approve a quote in review (a manager above its owner in the role hierarchy, or an administrator; audited)",
            false,
            "The quote is not in review",
        ),
        (
            "reject",
            "rejectQuote",
            "Reject a quote in review with a comment saying why (audited)",
            true,
            "The quote is not in review, or no comment",
        ),
    ] {
        paths.insert(
            format!("/api/v1/quotes/{{id}}/{path}"),
            json!({"parameters": [quote_id.clone()],
                   "post": {"operationId": id, "tags": ["Sales"], "summary": summary, "requestBody": comment(required),
                            "responses": responses(vec![("200", ok("The quote", json!({"type": "object"}))),
                                ("403", problem_response("Not the caller's to decide")), ("404", problem_response("No such quote")),
                                ("422", problem_response(what))])}}),
        );
    }
    paths.insert(
        "/api/v1/quotes/{id}/order".into(),
        json!({"parameters": [quote_id],
               "post": {"operationId": "orderQuote", "tags": ["Sales"],
                        "summary": "Make an order of an approved, presented or accepted quote (or a draft within the discount limit): the order copies its customer, prices and lines",
                        "responses": responses(vec![("201", ok("The order", json!({"type": "object"}))), ("404", problem_response("No such quote")),
                            ("422", problem_response("The quote's status does not allow an order, or it has no lines"))])}}),
    );
    paths.insert(
        "/api/v1/approvals".into(),
        json!({"get": {"operationId": "listApprovals", "tags": ["Sales"], "summary": "Quotes awaiting the caller's decision",
                       "responses": responses(vec![("200", ok("Quotes", json!({"type": "object", "properties": {"data": {"type": "array", "items": {"type": "object"}}}})))])}}),
    );
    let settings = json!({"type": "object", "properties": {"discount_threshold": {"type": ["string", "number"], "description": "Percent below list above which a quote needs approval"},
        "company_name": {"type": "string", "description": "The seller, as printed quotes name it"}}});
    paths.insert(
        "/api/v1/admin/quote-settings".into(),
        json!({"get": {"operationId": "getQuoteSettings", "tags": ["Administration"], "summary": "The discount threshold for quote approval and the seller's name on printed quotes",
                       "responses": responses(vec![("200", ok("Settings", settings.clone()))])},
               "put": {"operationId": "putQuoteSettings", "tags": ["Administration"], "summary": "Set the discount threshold and the seller's name on printed quotes (administrators; audited)",
                       "requestBody": {"required": true, "content": {"application/json": {"schema": settings.clone()}}},
                       "responses": responses(vec![("200", ok("Settings", settings)), ("403", problem_response("Not allowed")), ("422", problem_response("Not a percent from 0 to 100"))])}}),
    );
    let rules = json!({"type": "object", "properties": {"enabled": {"type": "boolean"},
        "pairs": {"type": "array", "items": {"type": "array", "items": {"type": "string", "enum": ["direct", "partner", "online", "retail"]}, "minItems": 2, "maxItems": 2}},
        "partners_conflict": {"type": "boolean"}, "price_tolerance": {"type": ["string", "number"]}}});
    paths.insert(
        "/api/v1/admin/conflict-rules".into(),
        json!({"get": {"operationId": "getConflictRules", "tags": ["Administration"], "summary": "Which sales channels conflict on one customer, whether two partners do, and the price tolerance across channels",
                       "responses": responses(vec![("200", ok("Rules", rules.clone()))])},
               "put": {"operationId": "putConflictRules", "tags": ["Administration"], "summary": "Set the channel conflict rules (administrators; audited); what is not given stays",
                       "requestBody": {"required": true, "content": {"application/json": {"schema": rules.clone()}}},
                       "responses": responses(vec![("200", ok("Rules", rules)), ("403", problem_response("Not allowed")), ("422", problem_response("Names the bad field (pairs[i], price_tolerance…)"))])}}),
    );
    paths.insert(
        "/api/v1/channel_conflicts/{id}/resolve".into(),
        json!({"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
               "post": {"operationId": "resolveChannelConflict", "tags": ["Sales"], "summary": "Resolve an open channel conflict with a decision (administrators; audited; the owners are notified)",
                        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["decision"], "properties": {
                            "decision": {"type": "string", "enum": ["direct_keeps", "partner_keeps", "shared", "price_aligned", "not_a_conflict"]}, "resolution": {"type": "string"}}}}}},
                        "responses": responses(vec![("200", ok("The conflict", json!({"type": "object"}))), ("403", problem_response("Not allowed")),
                            ("404", problem_response("No such conflict")), ("422", problem_response("No or an unknown decision, or resolved already"))])}}),
    );
    let notification = json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "kind": {"type": "string"},
        "object": {"type": ["string", "null"]}, "record_id": {"type": ["string", "null"]}, "text": {"type": "string"},
        "created_at": {"type": "string"}, "read": {"type": "boolean"}}});
    paths.insert(
        "/api/v1/me/notifications".into(),
        json!({"get": {"operationId": "listNotifications", "tags": ["Users"], "summary": "The caller's notifications, newest first, in their language",
                       "parameters": [{"name": "unread", "in": "query", "schema": {"type": "boolean"}}],
                       "responses": responses(vec![("200", ok("Notifications", json!({"type": "object", "properties": {
                           "data": {"type": "array", "items": notification}, "unread": {"type": "integer"}}})))])}}),
    );
    paths.insert(
        "/api/v1/me/notifications/read".into(),
        json!({"post": {"operationId": "readNotifications", "tags": ["Users"], "summary": "Mark one notification (id) or all read",
                        "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}}}}},
                        "responses": responses(vec![("200", ok("How many were marked", json!({"type": "object", "properties": {"read": {"type": "integer"}}}))), ("422", problem_response("Bad id"))])}}),
    );
}

fn sharing_paths(paths: &mut Map<String, Json>) {
    let uuid = json!({"type": "string", "format": "uuid"});
    let id_param = json!({"name": "id", "in": "path", "required": true, "schema": uuid});
    let group = json!({"type": "object", "minProperties": 1, "maxProperties": 1, "properties": {
        "role": uuid, "role_and_below": uuid, "team": uuid}});
    let level = json!({"type": "string", "enum": ["read", "edit"]});
    let team = json!({"type": "object", "properties": {"id": uuid, "name": {"type": "string"},
        "members": {"type": "array", "items": uuid}}});
    let rule = json!({"type": "object", "properties": {"id": uuid, "object": {"type": "string"}, "name": {"type": "string"},
        "owners": group, "criteria": {"type": "string", "description": "Filter language; eq ne lt lte gt gte in between is_null"},
        "to": group, "level": level}});
    let territory = json!({"type": "object", "properties": {"id": uuid, "name": {"type": "string"},
        "criteria": {"type": "string"}, "members": {"type": "array", "items": uuid}, "level": level}});
    let list =
        |item: &Json| json!({"type": "object", "properties": {"data": {"type": "array", "items": item}}});
    let forbidden = || problem_response("Not an administrator, or no admin scope");
    let op = |id: &str, summary: &str, status: &str, body: Option<&Json>, resp: Json| {
        let mut o = json!({"operationId": id, "tags": ["Administration"], "summary": summary,
            "responses": responses(vec![(status, resp), ("403", forbidden())])});
        if let Some(b) = body {
            o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": b}}});
        }
        o
    };
    let done = json!({"description": "Done"});
    let vrule = json!({"type": "object", "required": ["object", "name", "kind", "field", "message"], "properties": {
        "id": {"type": "string", "format": "uuid", "readOnly": true},
        "object": {"type": "string"}, "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["required_if", "pattern", "range", "compare"]},
        "field": {"type": "string"},
        "when": {"type": "string", "description": "required_if: the filter language, e.g. stage eq 'closed_lost'"},
        "pattern": {"type": "string", "description": "pattern: a regular expression the whole text must match"},
        "min": {"type": "string"}, "max": {"type": "string"},
        "op": {"type": "string", "enum": ["lt", "lte", "gt", "gte", "eq", "ne"]}, "other": {"type": "string"},
        "message": {"type": "object", "properties": {"en": {"type": "string"}, "zh-CN": {"type": "string"}, "zh-TW": {"type": "string"}}},
        "active": {"type": "boolean", "default": true}}});
    paths.insert(
        "/api/v1/admin/validation-rules".into(),
        json!({"get": {"operationId": "listValidationRules", "tags": ["Administration"], "summary": "Validation rules, of one object if given",
                       "parameters": [{"name": "object", "in": "query", "required": false, "schema": {"type": "string"}}],
                       "responses": responses(vec![("200", ok("Rules", list(&vrule))), ("403", forbidden())])},
               "post": op("addValidationRule", "Add a validation rule, checked on every write of its object", "201", Some(&vrule), ok("Created", vrule.clone()))}),
    );
    let coding = json!({"type": "object", "required": ["object", "field", "pattern"], "properties": {
        "id": {"type": "string", "format": "uuid", "readOnly": true}, "object": {"type": "string"},
        "field": {"type": "string", "description": "A text field"},
        "pattern": {"type": "string", "example": "KH-{yyyy}-{seq:5}",
                    "description": "One {seq:N} (N 1–12); {yyyy} {yy} {mm} {dd} and text. The count runs per text before {seq}"}}});
    paths.insert(
        "/api/v1/admin/coding-rules".into(),
        json!({"get": {"operationId": "listCodingRules", "tags": ["Administration"], "summary": "Coding rules (auto numbers)",
                       "responses": responses(vec![("200", ok("Rules", list(&coding))), ("403", forbidden())])},
               "post": op("addCodingRule", "Number a text field of an object by itself on create (unique across nodes)", "201", Some(&coding), ok("Created", coding.clone()))}),
    );
    paths.insert(
        "/api/v1/admin/coding-rules/{id}".into(),
        json!({"parameters": [id_param.clone()],
               "delete": op("deleteCodingRule", "Stop numbering the field", "204", None, done.clone())}),
    );
    paths.insert(
        "/api/v1/admin/validation-rules/{id}".into(),
        json!({"parameters": [id_param.clone()],
               "delete": op("deleteValidationRule", "Delete a validation rule", "204", None, done.clone())}),
    );
    paths.insert(
        "/api/v1/admin/teams".into(),
        json!({"get": op("listTeams", "Teams and their members", "200", None, ok("Teams", list(&team))),
               "post": op("addTeam", "Add a team", "201", Some(&team), ok("Created", team.clone()))}),
    );
    paths.insert(
        "/api/v1/admin/teams/{id}".into(),
        json!({"parameters": [id_param.clone()],
               "put": op("putTeam", "Rename a team or replace its members", "200", Some(&team), ok("Team", team.clone())),
               "delete": op("deleteTeam", "Delete a team no sharing rule names; its manual shares end", "204", None, done.clone())}),
    );
    paths.insert(
        "/api/v1/admin/sharing-rules".into(),
        json!({"get": {"operationId": "listSharingRules", "tags": ["Administration"], "summary": "Sharing rules, of one object if given",
                       "parameters": [{"name": "object", "in": "query", "required": false, "schema": {"type": "string"}}],
                       "responses": responses(vec![("200", ok("Rules", list(&rule))), ("403", forbidden())])},
               "post": op("addSharingRule", "Share records owned by a group, or matching criteria, with a group", "201", Some(&rule), ok("Created", rule.clone()))}),
    );
    paths.insert(
        "/api/v1/admin/sharing-rules/{id}".into(),
        json!({"parameters": [id_param.clone()], "delete": op("deleteSharingRule", "Delete a sharing rule", "204", None, done.clone())}),
    );
    paths.insert(
        "/api/v1/admin/territories".into(),
        json!({"get": op("listTerritories", "Territories", "200", None, ok("Territories", list(&territory))),
               "post": op("addTerritory", "Add a territory: records matching its criteria, on every object they fit, are shared with its members", "201", Some(&territory), ok("Created", territory.clone()))}),
    );
    paths.insert(
        "/api/v1/admin/territories/{id}".into(),
        json!({"parameters": [id_param.clone()],
               "put": op("putTerritory", "Change a territory", "200", Some(&territory), ok("Territory", territory.clone())),
               "delete": op("deleteTerritory", "Delete a territory", "204", None, done.clone())}),
    );
    let share = json!({"type": "object", "properties": {"grantee": uuid, "grantee_kind": {"type": "string", "enum": ["user", "team", "partner"]},
        "level": level, "created_by": uuid, "created_at": {"type": "string", "format": "date-time"}}});
    let share_in = json!({"type": "object", "minProperties": 2, "properties": {"user": uuid, "team": uuid,
        "partner": {"type": "string", "format": "uuid", "description": "A partner account"}, "level": level}, "required": ["level"]});
    let plural = json!({"name": "plural", "in": "path", "required": true, "schema": {"type": "string"}});
    let record_op = |id: &str, summary: &str, status: &str, body: Option<&Json>, resp: Json| {
        let mut o = json!({"operationId": id, "tags": ["Sharing"], "summary": summary,
            "responses": responses(vec![(status, resp), ("403", problem_response("Only the owner, those above the owner and modify-all roles share a record"))])});
        if let Some(b) = body {
            o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": b}}});
        }
        o
    };
    paths.insert(
        "/api/v1/{plural}/{id}/shares".into(),
        json!({"parameters": [plural.clone(), id_param.clone()],
               "get": record_op("listShares", "Who a record is shared with by hand", "200", None, ok("Shares", list(&share))),
               "post": record_op("addShare", "Share a record with a user, a team or a partner account", "201", Some(&share_in), ok("Shared", share))}),
    );
    paths.insert(
        "/api/v1/{plural}/{id}/shares/{grantee}".into(),
        json!({"parameters": [plural, id_param, {"name": "grantee", "in": "path", "required": true, "schema": uuid}],
               "delete": record_op("deleteShare", "End a manual share", "204", None, done)}),
    );
}

/// Duplicates of contacts, accounts and leads: groups, one record's look-alikes, the
/// rules per object; merges and their undo.
fn duplicate_paths(schema: &Schema, paths: &mut Map<String, Json>) {
    let tag = json!(["Duplicates"]);
    let reason = json!({"type": "object", "properties": {
        "code": {"type": "string", "enum": ["same_email", "same_mobile", "shared_phone", "same_name", "similar_name",
                 "different_name", "same_company", "different_company", "different_place", "same_website", "same_city", "different_city"]},
        "points": {"type": "integer", "description": "What the reason added to (or, negative, took from) the score"},
        "a": {"type": "string"}, "b": {"type": "string"}, "text": {"type": "string", "description": "The reason in the caller's language"}}});
    let matched = json!({"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}, "external_id": {"type": ["string", "null"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 100}, "reasons": {"type": "array", "items": reason}}});
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    for o in schema.objects() {
        if guanxi_services::dedupe::kind_of(o).is_none() {
            continue;
        }
        let plural = pascal(&o.plural);
        let name = pascal(&o.name);
        paths.insert(
            format!("/api/v1/{}/duplicates", o.plural),
            json!({"get": {
                "operationId": format!("duplicates{plural}"), "tags": tag,
                "summary": "Groups of possible duplicates among the records the caller may read: records joined by pairs scoring at least the threshold; each member with its best score and the reasons",
                "parameters": [{"name": "threshold", "in": "query", "required": false, "description": "1–100 (default: the object's duplicate rule)",
                                "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
                "responses": responses(vec![("200", ok("Groups", json!({"type": "object", "properties": {"data": {"type": "array", "items": {
                    "type": "object", "properties": {"group": {"type": "integer"}, "members": {"type": "array", "items": matched}}}}}})))]),
            }}),
        );
        paths.insert(
            format!("/api/v1/{}/{{id}}/duplicates", o.plural),
            json!({"parameters": [id_param], "get": {
                "operationId": format!("duplicatesOf{name}"), "tags": tag,
                "summary": "Records that look like this one, best first, with score and reasons",
                "responses": responses(vec![("200", ok("Look-alikes", json!({"type": "object", "properties": {"data": {"type": "array", "items": matched}}})))]),
            }}),
        );
    }
    let merge = json!({"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid"}, "object": {"type": "string"}, "survivor": {"type": "string", "format": "uuid"},
        "merged": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        "chosen": {"type": "object", "additionalProperties": {"type": "string", "format": "uuid"}, "description": "Field → record whose value survived"},
        "before": {"type": "object", "description": "The survivor's values before the merge, of the fields it changed"},
        "references": {"type": "array", "items": {"type": "object", "properties": {"object": {"type": "string"}, "field": {"type": "string"},
                       "record": {"type": "string", "format": "uuid"}, "from": {"type": "string", "format": "uuid"}}}},
        "moved": {"type": "integer", "description": "References, history rows, consents and shares moved"},
        "actor": {"type": ["string", "null"], "format": "uuid"}, "at": {"type": "string", "format": "date-time"},
        "undone_at": {"type": ["string", "null"], "format": "date-time"}}});
    for o in schema.objects() {
        if !guanxi_services::dedupe::mergeable_object(o) {
            continue;
        }
        paths.insert(
            format!("/api/v1/{}/merge", o.plural),
            json!({"post": {
                "operationId": format!("merge{}", pascal(&o.plural)), "tags": tag,
                "summary": "Merge records into one that survives: its fields take the chosen values (through the write path), every lookup, activity, history row, consent, channel preference and manual share of the merged records moves to it, the merged records go to the recycle bin; one transaction, audited, undoable. Needs edit on the survivor and delete on the merged records",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["survivor", "merged"], "properties": {
                    "survivor": {"type": "string", "format": "uuid"}, "merged": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "uuid"}},
                    "fields": {"type": "object", "additionalProperties": {"type": "string", "format": "uuid"},
                               "description": "Field → id of the record whose value survives (default: the survivor's, else the latest non-empty one)"}}}}}},
                "responses": responses(vec![("201", ok("Merged", merge.clone())), ("403", problem_response("No edit right on the survivor or no delete right on a merged record")),
                                            ("409", problem_response("The survivor changed meanwhile"))]),
            }}),
        );
    }
    paths.insert(
        "/api/v1/merges/{id}".into(),
        json!({"parameters": [id_param], "get": {"operationId": "getMerge", "tags": tag, "summary": "A merge: who, when, survivor, merged records, the survivor's values before, exactly what moved",
            "responses": responses(vec![("200", ok("Merge", merge.clone()))])}}),
    );
    paths.insert(
        "/api/v1/merges/{id}/undo".into(),
        json!({"parameters": [id_param], "post": {"operationId": "undoMerge", "tags": tag,
            "summary": "Undo a merge: the survivor's values back, the merged records restored, exactly the moved references back",
            "responses": responses(vec![("200", ok("Undone", merge)),
                ("409", problem_response("Already undone, or something the merge touched changed since (the detail says what)"))])}}),
    );
    let rule = json!({"type": "object", "properties": {
        "object": {"type": "string", "readOnly": true}, "enabled": {"type": "boolean"},
        "action": {"type": "string", "enum": ["warn", "block"], "description": "warn: create and name the look-alikes (`possible_duplicates`); block: refuse with 409 listing them"},
        "threshold": {"type": "integer", "minimum": 1, "maximum": 100}}});
    paths.insert(
        "/api/v1/admin/duplicate-rules".into(),
        json!({"get": {"operationId": "listDuplicateRules", "tags": ["Administration"], "summary": "The duplicate rule of each object duplicate detection covers",
            "responses": responses(vec![("200", ok("Rules", json!({"type": "object", "properties": {"data": {"type": "array", "items": rule}}}))),
                                        ("403", problem_response("Not an administrator"))])}}),
    );
    paths.insert(
        "/api/v1/admin/duplicate-rules/{name}".into(),
        json!({"parameters": [{"name": "name", "in": "path", "required": true, "description": "contacts, accounts or leads", "schema": {"type": "string"}}],
               "put": {"operationId": "setDuplicateRule", "tags": ["Administration"], "summary": "Set an object's duplicate rule; audited",
                       "requestBody": {"required": true, "content": {"application/json": {"schema": rule}}},
                       "responses": responses(vec![("200", ok("Rule", rule.clone())), ("403", problem_response("Not an administrator"))])}}),
    );
    let minutes = json!({"type": ["integer", "null"], "minimum": 1, "maximum": 525_600});
    let word = json!({"type": ["string", "null"]});
    let policy = json!({"type": "object", "properties": {
        "time_zone": {"type": "string", "description": "IANA name; Asia/Shanghai when not given"},
        "hours": {"type": "object", "description": "working hours per weekday (monday … sunday), e.g. \"09:00-12:00, 13:00-18:00\"; empty for a day off",
                  "additionalProperties": {"type": "string"}},
        "china_holidays": {"type": "boolean", "description": "count mainland China's public holidays and 调休 days as shipped"},
        "days": {"type": "string", "description": "more days, one a line: off 2027-01-01..2027-01-03 name / work 2027-01-04 name"},
        "targets": {"type": "array", "items": {"type": "object", "properties": {
            "tier": word.clone(), "type": word.clone(), "priority": word,
            "first_response": minutes.clone(), "resolution": minutes,
            "warn_at": {"type": "integer", "minimum": 1, "maximum": 99}}}},
        "reassign_at_breach": {"type": "boolean", "description": "at a breach, hand the case to its owner's nearest manager too"}}});
    paths.insert(
        "/api/v1/admin/sla-policy".into(),
        json!({"get": {"operationId": "readSlaPolicy", "tags": ["Administration"], "summary": "The service level policy that times cases ({} when none is set)",
                       "responses": responses(vec![("200", ok("Policy", policy.clone())), ("403", problem_response("Not an administrator"))])},
               "put": {"operationId": "setSlaPolicy", "tags": ["Administration"], "summary": "Set the service level policy: business calendar and targets (minutes of business time) by tier, case type and priority; audited",
                       "requestBody": {"required": true, "content": {"application/json": {"schema": policy.clone()}}},
                       "responses": responses(vec![("200", ok("Policy", policy)), ("403", problem_response("Not an administrator"))])}}),
    );
    let regraded = json!({"type": "object", "required": ["accounts", "changed"], "properties": {
        "accounts": {"type": "integer", "description": "accounts read"},
        "changed": {"type": "integer", "description": "accounts whose revenue or tier changed"}}});
    let tier_rules = json!({"type": "object", "properties": {
        "currency": {"type": "string", "description": "revenue is counted in this currency; CNY when not given"},
        "time_zone": {"type": "string", "description": "IANA name whose calendar day ends the twelve months; Asia/Shanghai when not given"},
        "rules": {"type": "array", "description": "in order: the first whose every condition holds gives the tier",
                  "items": {"type": "object", "required": ["tier"], "properties": {
                      "tier": {"type": "string"},
                      "min_revenue": {"type": ["string", "number", "null"], "description": "booked in the last twelve months, at least"},
                      "contract": {"type": ["boolean", "null"], "description": "a service contract in force (contract_end today or later)"}}}},
        "otherwise": {"type": ["string", "null"], "description": "the tier when no rule fits; none when not given"},
        "regraded": regraded.clone()}});
    paths.insert(
        "/api/v1/admin/tier-rules".into(),
        json!({"get": {"operationId": "readTierRules", "tags": ["Administration"], "summary": "The rules that grade customers into tiers ({} when none are set)",
                       "responses": responses(vec![("200", ok("Rules", tier_rules.clone())), ("403", problem_response("Not an administrator"))])},
               "put": {"operationId": "setTierRules", "tags": ["Administration"], "summary": "Set the customer tier rules and regrade every account by them; audited",
                       "requestBody": {"required": true, "content": {"application/json": {"schema": tier_rules.clone()}}},
                       "responses": responses(vec![("200", ok("Rules", tier_rules)), ("403", problem_response("Not an administrator"))])}}),
    );
    let share = json!({"type": "object", "properties": {"of": {"type": "integer"}, "yes": {"type": "integer"},
        "percent": {"type": ["string", "null"], "description": "Decimal, one place; null when of is 0"}}});
    let money_sum = json!({"type": "object", "properties": {"currency": {"type": "string"}, "amount": {"type": "string", "description": "Decimal"}}});
    let cost_line = json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
        "costs": {"type": "array", "items": money_sum.clone()}}});
    let metrics = json!({"type": "object", "properties": {
        "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
        "ended": {"type": "integer", "description": "cases resolved or closed in the period"},
        "first_contact_resolution": share.clone(), "reopened": share.clone(),
        "first_response_on_time": share.clone(), "resolution_on_time": share.clone(), "surveys": share.clone(),
        "csat_average": {"type": ["string", "null"]}, "csat_satisfied": share,
        "nps": {"type": ["string", "null"], "description": "promoters (9–10) less detractors (0–6), percent of answers"},
        "nps_answers": {"type": "integer"},
        "cost_by_kind": {"type": "array", "items": {"type": "object", "properties": {"kind": {"type": "string"},
            "currency": {"type": "string"}, "amount": {"type": "string"}}}},
        "cost_total": {"type": "array", "items": money_sum.clone()}, "minutes": {"type": "integer"},
        "cases_costed": {"type": "integer"}, "cost_per_case": {"type": "array", "items": money_sum},
        "by_customer": {"type": "array", "items": cost_line.clone()}, "by_product": {"type": "array", "items": cost_line}}});
    let day = |name: &str, what: &str| json!({"name": name, "in": "query", "schema": {"type": "string", "format": "date"}, "description": what});
    paths.insert(
        "/api/v1/service/metrics".into(),
        json!({"get": {"operationId": "serviceMetrics", "tags": ["Service"],
                       "summary": "First-contact resolution, reopen rate, SLA attainment, CSAT, NPS and service cost of a period, over what the caller may read",
                       "parameters": [day("from", "first day (Beijing); 29 days before `to` when absent"), day("to", "last day, included; today when absent")],
                       "responses": responses(vec![("200", ok("Metrics", metrics)), ("422", problem_response("A bad date, or from after to"))])}}),
    );
    let survey = json!({"type": "object", "properties": {
        "path": {"type": "string", "description": "/survey/{token}: the signed link for the customer; it answers once"},
        "sent_at": {"type": "string", "format": "date-time"}, "answered_at": {"type": ["string", "null"], "format": "date-time"},
        "csat": {"type": ["integer", "null"]}, "nps": {"type": ["integer", "null"]}, "comment": {"type": ["string", "null"]}}});
    paths.insert(
        "/api/v1/cases/{id}/survey".into(),
        json!({"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
               "get": {"operationId": "getCaseSurvey", "tags": ["Service"],
                       "summary": "The satisfaction survey sent when the case ended: its link for the customer and the answer",
                       "responses": responses(vec![("200", ok("Survey", survey)), ("404", problem_response("No such case, or no survey sent"))])}}),
    );
    let invitation = json!({"type": "object", "properties": {"user": {"type": "string", "format": "uuid"},
        "email": {"type": "string"}, "path": {"type": "string", "description": "/portal/invite/{secret}: where the contact chooses a password, once"},
        "expires_at": {"type": "string", "format": "date-time"},
        "mailed": {"type": "boolean", "description": "whether the link was also sent to the contact by mail (a mail server is configured)"}}});
    paths.insert(
        "/api/v1/contacts/{id}/portal-invitation".into(),
        json!({"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
               "post": {"operationId": "inviteToPortal", "tags": ["Service"],
                        "summary": "Invite a contact to the customer portal (their portal user is made the first time); audited",
                        "responses": responses(vec![("201", ok("Invitation", invitation)),
                                                    ("422", problem_response("The contact has no email or no company, or the email is another user's"))])}}),
    );
    let lifecycle = json!({"type": "object", "properties": {
        "enforced": {"type": "boolean", "description": "hold people to the transitions (the system's own moves are not)"},
        "transitions": {"type": "object", "description": "status → the statuses a case may move to from it; an empty list is final",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}}}}});
    paths.insert(
        "/api/v1/admin/case-lifecycle".into(),
        json!({"get": {"operationId": "readCaseLifecycle", "tags": ["Administration"], "summary": "The case lifecycle (the usual one, not enforced, until one is set)",
                       "responses": responses(vec![("200", ok("Lifecycle", lifecycle.clone())), ("403", problem_response("Not an administrator"))])},
               "put": {"operationId": "setCaseLifecycle", "tags": ["Administration"], "summary": "Set the case lifecycle; audited",
                       "requestBody": {"required": true, "content": {"application/json": {"schema": lifecycle.clone()}}},
                       "responses": responses(vec![("200", ok("Lifecycle", lifecycle)), ("403", problem_response("Not an administrator"))])}}),
    );
    let queue = json!({"type": "object", "properties": {
        "value": {"type": "string", "description": "the case `queue` value that puts a case in this queue"},
        "label": {"$ref": "#/components/schemas/Label"},
        "active": {"type": "boolean", "description": "offered for new cases; a retired queue keeps its members for the cases it holds"},
        "members": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        "teams": {"type": "array", "items": {"type": "string", "format": "uuid"}, "description": "teams whose members work the queue too"},
        "level": {"type": "string", "enum": ["read", "edit"], "description": "what members may do with the queue's cases besides taking them"}}});
    paths.insert(
        "/api/v1/admin/queues".into(),
        json!({"get": {"operationId": "listQueues", "tags": ["Administration"], "summary": "Every case queue with its members",
                       "responses": responses(vec![("200", ok("Queues", json!({"type": "object", "properties": {"data": {"type": "array", "items": queue.clone()}}}))),
                                                   ("403", problem_response("Not an administrator"))])}}),
    );
    paths.insert(
        "/api/v1/admin/queues/{value}".into(),
        json!({"parameters": [{"name": "value", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,49}$"}}],
               "put": {"operationId": "putQueue", "tags": ["Administration"],
                       "summary": "Set up a case queue or change its labels, members, access or whether it takes new cases; audited",
                       "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
                           "label": {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/Label"}]},
                           "members": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                           "teams": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                           "level": {"type": "string", "enum": ["read", "edit"]}, "active": {"type": "boolean"}}}}}},
                       "responses": responses(vec![("200", ok("Queue", queue.clone())), ("403", problem_response("Not an administrator")),
                                                   ("422", problem_response("A bad key, a label missing, an unknown or external member"))])}}),
    );
    let mut work = queue.clone();
    work["properties"]["cases"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/Case"}, "description": "open cases, soonest due first (at most 200)"});
    paths.insert(
        "/api/v1/queues".into(),
        json!({"get": {"operationId": "myQueues", "tags": ["Service"], "summary": "The queues the caller works in (administrators: all), each with its open cases",
                       "responses": responses(vec![("200", ok("Queues", json!({"type": "object", "properties": {"data": {"type": "array", "items": work}}})))])}}),
    );
    paths.insert(
        "/api/v1/cases/{id}/take".into(),
        json!({"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}},
                              {"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"},
                               "description": "the version read: refused (409) if someone changed the case since"}],
               "post": {"operationId": "takeCase", "tags": ["Service"], "summary": "Take a case of one of the caller's queues: the caller becomes its owner",
                        "responses": responses(vec![("200", ok("The case", json!({"$ref": "#/components/schemas/Case"}))),
                                                    ("403", problem_response("The case is not in one of the caller's queues")),
                                                    ("404", problem_response("No such case")), ("409", problem_response("Changed since it was read"))])}}),
    );
    let file = json!({"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}, "content_type": {"type": "string"},
        "size": {"type": "integer"}, "uploaded_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
        "url": {"type": "string", "description": "where to download it"}}});
    let plural_id = json!([{"name": "plural", "in": "path", "required": true, "schema": {"type": "string"}},
                           {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}]);
    paths.insert(
        "/api/v1/{plural}/{id}/files".into(),
        json!({"parameters": plural_id,
               "get": {"operationId": "listFiles", "tags": ["Records"], "summary": "The files attached to a record the caller may read, oldest first",
                       "responses": responses(vec![("200", ok("Files", json!({"type": "object", "properties": {"data": {"type": "array", "items": file.clone()}}}))),
                                                   ("404", problem_response("No such record, or not the caller's to read"))])},
               "post": {"operationId": "attachFile", "tags": ["Records"],
                        "summary": "Attach a file to a record the caller may edit: the body is the file, Content-Type its type; audited",
                        "parameters": [{"name": "name", "in": "query", "required": true, "schema": {"type": "string"}, "description": "the file's name"}],
                        "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                                                                      "*/*": {"schema": {"type": "string", "format": "binary"}}}},
                        "responses": responses(vec![("201", ok("The file", file)), ("403", problem_response("The caller may not edit the record")),
                                                    ("404", problem_response("No such record")),
                                                    ("422", problem_response("No name, an empty file, a file over 10 MB, or 50 files on the record already"))])}}),
    );
    paths.insert(
        "/api/v1/files/{id}".into(),
        json!({"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
               "get": {"operationId": "downloadFile", "tags": ["Records"], "summary": "A file's content, as an attachment, for whoever may read its record",
                       "responses": {"200": {"description": "The file", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                                     "404": problem_response("No such file, or its record is not the caller's to read")}}}),
    );
    paths.insert(
        "/api/v1/admin/tier-rules/regrade".into(),
        json!({"post": {"operationId": "regradeCustomers", "tags": ["Administration"], "summary": "Recount every account's revenue of the last twelve months and set the tiers the rules give (also done every hour)",
                       "responses": responses(vec![("200", ok("Regraded", regraded)), ("403", problem_response("Not an administrator"))])}}),
    );
}

pub fn document(schema: &Schema) -> Json {
    let mut paths = Map::new();
    paths.insert(
        "/healthz".into(),
        json!({"get": {"operationId": "health", "security": [], "summary": "Ready check",
            "responses": {"200": ok("Ready", json!({"type": "object", "properties": {"status": {"const": "ok"}}}))}}}),
    );
    paths.insert(
        "/api/v1/openapi.json".into(),
        json!({"get": {"operationId": "openapi", "security": [], "summary": "This document",
            "responses": {"200": ok("OpenAPI 3.1 document", json!({"type": "object"}))}}}),
    );
    paths.insert(
        "/api/v1/me".into(),
        json!({"get": {"operationId": "me", "summary": "The user behind the token", "responses": responses(vec![("200", ok("User", json!({"type": "object"})))])}}),
    );
    paths.insert(
        "/api/v1/auth/session".into(),
        json!({
            "post": {"operationId": "signIn", "tags": ["Sessions"], "security": [],
                "summary": "Sign in with email and password: sets the HttpOnly session cookie and returns the CSRF token \
                            every change made with the cookie must send as X-CSRF-Token",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
                    "properties": {"email": {"type": "string"}, "password": {"type": "string"}}, "required": ["email", "password"]}}}},
                "responses": {
                    "201": ok("Signed in", json!({"type": "object", "properties": {
                        "user": {"type": "object"}, "csrf_token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}}})),
                    "400": problem_response("Malformed body"),
                    "401": problem_response("Wrong email or password"),
                    "429": problem_response("Too many attempts from this address, or the account is locked for a while; see Retry-After"),
                }},
            "delete": {"operationId": "signOut", "tags": ["Sessions"], "summary": "Sign out of this session",
                "responses": responses(vec![("200", ok("Signed out", json!({"type": "object"})))])}
        }),
    );
    paths.insert(
        "/api/v1/auth/sessions".into(),
        json!({"delete": {"operationId": "signOutEverywhere", "tags": ["Sessions"], "summary": "Sign out of every session of the caller",
            "responses": responses(vec![("200", ok("Signed out", json!({"type": "object", "properties": {"sessions_ended": {"type": "integer"}}})))])}}),
    );
    let perms = json!({"type": "object", "properties": {
        "read": {"type": "boolean"}, "create": {"type": "boolean"}, "edit": {"type": "boolean"}, "delete": {"type": "boolean"},
        "view_all": {"type": "boolean"}, "modify_all": {"type": "boolean"}},
        "required": ["read", "create", "edit", "delete", "view_all", "modify_all"]});
    let access = json!({"type": "object", "properties": {
        "sharing": {"type": "string", "enum": ["private", "public_read", "public_read_write"]},
        "roles": {"type": "object", "additionalProperties": perms, "description": "Role id → permissions on the object"},
        "fields": {"type": "object", "description": "Role id → field → hidden | read_only | editable (field-level security)",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "string", "enum": ["hidden", "read_only", "editable"]}}}}});
    let admin = |id: &str, summary: &str, resp: Json| {
        json!({"operationId": id, "tags": ["Administration"], "summary": summary,
            "responses": responses(vec![("200", resp), ("403", problem_response("Not an administrator, or no admin scope"))])})
    };
    let role = json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
        "parent": {"type": ["string", "null"], "format": "uuid"}}});
    let mut add_role = admin(
        "addRole",
        "Add a role, below `parent` if given",
        ok("Created", role.clone()),
    );
    add_role["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object",
        "properties": {"name": {"type": "string"}, "parent": {"type": ["string", "null"], "format": "uuid"}}, "required": ["name"]}}}});
    add_role["responses"]["201"] = add_role["responses"]["200"].take();
    add_role["responses"].as_object_mut().map(|m| m.remove("200"));
    paths.insert(
        "/api/v1/admin/roles".into(),
        json!({"get": admin("listRoles", "Roles and their place in the hierarchy", ok("Roles", json!({"type": "object", "properties": {"data": {"type": "array", "items": role}}}))),
               "post": add_role}),
    );
    paths.insert(
        "/api/v1/admin/users".into(),
        json!({"get": admin("listUsers", "Users with their roles", ok("Users", json!({"type": "object"})))}),
    );
    let mut set_role = admin(
        "setUserRole",
        "Put a user in a role (`{\"role\": id | null}`)",
        json!({"description": "unused"}),
    );
    set_role["responses"]["204"] = json!({"description": "Done"});
    set_role["responses"].as_object_mut().map(|m| m.remove("200"));
    set_role["summary"] = json!(
        "Change a user's role, kind (internal staff, partner user of a partner account, portal customer) and partner account"
    );
    set_role["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object",
        "properties": {"role": {"type": ["string", "null"], "format": "uuid"},
                       "kind": {"type": "string", "enum": ["internal", "partner", "portal"]},
                       "partner_account": {"type": ["string", "null"], "format": "uuid", "description": "An account record; required for partner users"}}}}}});
    paths.insert(
        "/api/v1/admin/users/{id}".into(),
        json!({"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}], "patch": set_role}),
    );
    sharing_paths(&mut paths);
    privacy_paths(&mut paths);
    quality_paths(&mut paths);
    import_paths(&mut paths);
    duplicate_paths(schema, &mut paths);
    customer_paths(&mut paths);
    process_paths(&mut paths);
    quote_paths(&mut paths);
    let mut put_access = admin(
        "setObjectAccess",
        "Set an object's sharing default and roles' permissions on it",
        ok("Access", access.clone()),
    );
    put_access["requestBody"] =
        json!({"required": true, "content": {"application/json": {"schema": access.clone()}}});
    paths.insert(
        "/api/v1/admin/access/{name}".into(),
        json!({"parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
               "get": admin("getObjectAccess", "An object's sharing default and role permissions", ok("Access", access)),
               "put": put_access}),
    );
    let label = json!({"type": "object", "properties": {"en": {"type": "string"}, "zh-CN": {"type": "string"}, "zh-TW": {"type": "string"}},
        "required": ["en", "zh-CN", "zh-TW"]});
    let layout = json!({"type": "object", "properties": {
        "object": {"type": "string", "readOnly": true},
        "sections": {"type": "array", "minItems": 1, "items": {"type": "object", "properties": {
            "label": {"oneOf": [label, {"type": "string", "description": "One label for every language"}]},
            "fields": {"type": "array", "items": {"type": "string"}, "description": "Field API names in page order; each once"}},
            "required": ["label", "fields"]}}},
        "required": ["sections"]});
    let mut put_layout = admin(
        "setLayout",
        "Set an object's page layout: sections in order, each with a label and its fields in order. Fields left out \
         are appended to the last section; an unknown or repeated field is refused, named in `errors` \
         (`sections[i].fields[j]`). Audited as layout.update",
        ok("The layout as pages now use it", layout.clone()),
    );
    put_layout["requestBody"] =
        json!({"required": true, "content": {"application/json": {"schema": layout.clone()}}});
    paths.insert(
        "/api/v1/admin/layouts/{name}".into(),
        json!({"parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"},
                   "description": "The object's API name or plural"}],
               "get": admin("getLayout", "An object's page layout: the saved one fitted to its fields, else the default", ok("Layout", layout)),
               "put": put_layout}),
    );
    paths.insert(
        "/api/v1/me/tokens".into(),
        json!({"get": {"operationId": "myTokens", "tags": ["Tokens"], "summary": "The caller's API tokens (never the tokens themselves)",
            "responses": responses(vec![("200", ok("Tokens", json!({"type": "object", "properties": {"data": {"type": "array", "items": {
                "type": "object", "properties": {
                    "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}, "prefix": {"type": "string"},
                    "scopes": {"type": "array", "items": {"type": "string", "enum": ["read", "write", "admin"]}},
                    "created_at": {"type": "string", "format": "date-time"},
                    "expires_at": {"type": ["string", "null"], "format": "date-time"},
                    "revoked_at": {"type": ["string", "null"], "format": "date-time"}}}}}})))])}}),
    );
    paths.insert(
        "/api/v1/me/tokens/{id}".into(),
        json!({"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
            "delete": {"operationId": "revokeMyToken", "tags": ["Tokens"], "summary": "Revoke one of the caller's tokens (write scope)",
                "responses": responses(vec![("204", json!({"description": "Revoked"})), ("403", problem_response("The token lacks the write scope"))])}}),
    );
    let q = |n: &str, d: &str, format: Option<&str>| {
        let mut schema = json!({"type": "string"});
        if let Some(f) = format {
            schema["format"] = json!(f);
        }
        json!({"name": n, "in": "query", "required": false, "schema": schema, "description": d})
    };
    paths.insert(
        "/api/v1/audit".into(),
        json!({"get": {"operationId": "auditTrail", "tags": ["Audit"],
            "summary": "The audit trail, newest first (administrators, admin scope)",
            "parameters": [
                q("action", "e.g. record.delete, token.create, metadata.field.create", None),
                q("actor", "User id", Some("uuid")),
                q("record_id", "Record id", Some("uuid")),
                q("since", "From this time (inclusive)", Some("date-time")),
                q("until", "Up to this time (exclusive)", Some("date-time")),
                q("cursor", "`next_cursor` of the previous page", None),
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
            ],
            "responses": responses(vec![
                ("200", ok("Entries", json!({"type": "object", "properties": {
                    "data": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                        "actor": {"type": ["string", "null"]}, "actor_email": {"type": ["string", "null"]}, "ip": {"type": ["string", "null"]},
                        "action": {"type": "string"}, "object": {"type": ["string", "null"]}, "record_id": {"type": ["string", "null"]},
                        "detail": {"type": "object"}}}},
                    "next_cursor": {"type": ["string", "null"]}}}))),
                ("403", problem_response("Not an administrator, or the token lacks the admin scope")),
            ])}}),
    );
    let objects: Vec<String> = schema.objects().iter().map(|o| o.plural.clone()).collect();
    paths.insert(
        "/api/v1/search".into(),
        json!({"get": {"operationId": "search", "tags": ["Search"],
            "summary": "Records of every object (or one) matching a query, best first, as the caller may read them",
            "description": "Matches Chinese words (segmented), names also as full pinyin and initials (张伟: zhangwei, zw), \
                simplified and traditional characters alike, phones in any format and by their last 4+ digits, emails, \
                company names with or without legal form and city, Latin words with one typo, and beginnings of names as the user types.",
            "parameters": [
                {"name": "q", "in": "query", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": guanxi_services::search::MAX_QUERY}, "description": "What to look for"},
                {"name": "object", "in": "query", "required": false, "schema": {"type": "string", "enum": objects}, "description": "Only records of this object (plural API name)"},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": guanxi_services::search::MAX_LIMIT, "default": guanxi_services::search::DEFAULT_LIMIT}},
            ],
            "responses": responses(vec![
                ("200", ok("Matches, best first", json!({"type": "object", "properties": {
                    "data": {"type": "array", "items": {"type": "object", "properties": {
                        "object": {"type": "string", "description": "Plural API name"},
                        "id": {"type": "string", "format": "uuid"},
                        "name": {"type": "string"},
                        "secondary": {"type": ["string", "null"], "description": "Account, email or phone, as the caller may read them"},
                        "tier": {"type": ["string", "null"], "description": "An account's customer tier (value)"},
                        "tier_label": {"type": ["string", "null"], "description": "The tier in the caller's language"},
                        "score": {"type": "number"}},
                        "required": ["object", "id", "name", "secondary", "score"]}}},
                    "required": ["data"]}))),
                ("403", problem_response("The caller may not read the object named")),
                ("422", problem_response("q missing, empty or too long; unknown object; limit out of range")),
            ])}}),
    );
    paths.insert(
        "/api/v1/metadata/objects".into(),
        json!({
            "get": {"operationId": "listObjects", "tags": ["Metadata"], "summary": "All objects and their fields",
                "responses": responses(vec![("200", ok("Objects", json!({"type": "object"})))])},
            "post": {"operationId": "createObject", "tags": ["Metadata"], "summary": "Add a custom object (administrators)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
                    "properties": {"name": {"type": "string"}, "plural": {"type": "string"}, "label": {}, "plural_label": {}, "fields": {"type": "array", "items": {"type": "object"}}},
                    "required": ["name", "plural"]}}}},
                "responses": responses(vec![("201", ok("Created", json!({"type": "object"}))), ("403", problem_response("Not an administrator"))])}
        }),
    );
    let name_param = json!({"name": "name", "in": "path", "required": true, "schema": {"type": "string"}});
    paths.insert(
        "/api/v1/metadata/objects/{name}".into(),
        json!({"parameters": [name_param], "get": {"operationId": "getObject", "tags": ["Metadata"], "summary": "One object",
            "responses": responses(vec![("200", ok("Object", json!({"type": "object"})))])}}),
    );
    paths.insert(
        "/api/v1/metadata/objects/{name}/fields".into(),
        json!({"parameters": [name_param], "post": {"operationId": "createField", "tags": ["Metadata"],
            "summary": "Add a custom field (administrators): a real column, indexed if asked",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
                "properties": {"name": {"type": "string"}, "type": {"type": "string", "enum": FieldType::USER_CREATABLE}, "label": {},
                    "required": {"type": "boolean"}, "unique": {"type": "boolean"}, "external_id": {"type": "boolean"}, "indexed": {"type": "boolean"},
                    "max_length": {"type": "integer"}, "scale": {"type": "integer"}, "options": {"type": "array"}, "target": {"type": "string"}},
                "required": ["name", "type"]}}}},
            "responses": responses(vec![("201", ok("Created", json!({"type": "object"}))), ("403", problem_response("Not an administrator"))])}}),
    );
    let label = json!({"$ref": "#/components/schemas/Label"});
    let label_in = json!({"oneOf": [{"type": "string", "minLength": 1, "description": "One label for every language"}, label]});
    let option_in = json!({"oneOf": [
        {"type": "string", "description": "A value; its label stays (or is the value, for a new one)"},
        {"type": "object", "properties": {"value": {"type": "string", "maxLength": 100}, "label": label_in,
            "active": {"type": "boolean", "default": true, "description": "false retires the value: no longer offered, still read and shown"}},
         "required": ["value"]}]});
    let field_param = json!({"name": "field", "in": "path", "required": true, "schema": {"type": "string"}});
    paths.insert(
        "/api/v1/metadata/objects/{name}/fields/{field}".into(),
        json!({"parameters": [name_param, field_param], "patch": {"operationId": "updateField", "tags": ["Metadata"],
            "summary": "Change a field's labels and, for picklists, its values (administrators)",
            "description": "Works on standard and custom fields alike; system fields, names, types and columns never change. \
                `options` is the full new ordered list: every current value must still be in it (set `active: false` to retire one), \
                new values are lower case, unique and at most 100 characters.",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false,
                "properties": {"label": label_in, "options": {"type": "array", "minItems": 1, "maxItems": 1000, "items": option_in}}}}}},
            "responses": responses(vec![
                ("200", ok("The field's new definition", json!({"$ref": "#/components/schemas/Field"}))),
                ("403", problem_response("Not an administrator")),
            ])}}),
    );
    let mut schemas = Map::new();
    schemas.insert(
        "Label".into(),
        json!({"type": "object", "properties": {"en": {"type": "string"}, "zh-CN": {"type": "string"}, "zh-TW": {"type": "string"}},
            "required": ["en", "zh-CN", "zh-TW"]}),
    );
    schemas.insert(
        "Field".into(),
        json!({"type": "object", "description": "A field's definition, as the metadata endpoints give it", "properties": {
            "name": {"type": "string"}, "label": label, "type": {"type": "string"},
            "required": {"type": "boolean"}, "unique": {"type": "boolean"}, "external_id": {"type": "boolean"}, "indexed": {"type": "boolean"},
            "max_length": {"type": "integer"}, "scale": {"type": "integer"}, "target": {"type": "string"},
            "custom": {"type": "boolean"}, "system": {"type": "boolean"},
            "options": {"type": "array", "items": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": label,
                "active": {"type": "boolean", "description": "false: retired — not offered for new input, still read and labelled"}}}}}}),
    );
    schemas.insert(
        "Problem".into(),
        json!({"type": "object", "description": "RFC 9457 problem details", "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "code": {"type": "string"}, "detail": {"type": "string"}}}}
        }}),
    );
    for o in schema.objects() {
        let (rec, input) = record_schemas(o);
        schemas.insert(pascal(&o.name), rec);
        schemas.insert(format!("{}Input", pascal(&o.name)), input);
        object_paths(o, &mut paths);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Guanxi CRM API",
            "version": env!("CARGO_PKG_VERSION"),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
            "description": "Every object, standard or custom, is served under /api/v1/{plural}. Errors are RFC 9457 problem+json."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API token from `guanxi token create`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "gx_session",
                    "description": "Browser session from POST /api/v1/auth/session; changes also need the X-CSRF-Token header"}
            },
            "schemas": schemas,
        }
    })
}
