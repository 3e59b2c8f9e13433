//! RFC 9457 problem details: the one mapping from domain errors to HTTP for the API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guanxi_core::{FieldError, Locale, Msg};
use guanxi_services::ServiceError;
use serde_json::json;

#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub errors: Vec<(String, String, String)>,
    /// Seconds for a Retry-After header.
    pub retry_after: Option<u64>,
    /// Extension members (RFC 9457 §3.2), e.g. the records a duplicate rule matched.
    pub extra: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        locale: Locale,
        title: Msg,
        detail: String,
    ) -> Problem {
        Problem {
            status,
            kind,
            title: title.text(locale).into(),
            detail,
            errors: Vec::new(),
            retry_after: None,
            extra: None,
        }
    }

    pub fn validation(locale: Locale, errors: &[FieldError]) -> Problem {
        let list: Vec<_> = errors
            .iter()
            .map(|e| (e.field.clone(), e.code(), e.message(locale)))
            .collect();
        let detail = list
            .iter()
            .map(|(f, _, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join(" ");
        Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "validation",
            title: Msg::TitleValidation.text(locale).into(),
            detail,
            errors: list,
            retry_after: None,
            extra: None,
        }
    }

    pub fn bad_request(locale: Locale, field: &str, msg: Msg, reason: &str) -> Problem {
        let e = FieldError::new(field, msg).with("reason", reason);
        let mut p = Problem::validation(locale, &[e]);
        p.status = StatusCode::BAD_REQUEST;
        p.kind = "bad-request";
        p.title = Msg::TitleBadRequest.text(locale).into();
        p
    }

    pub fn unauthorized(locale: Locale) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            locale,
            Msg::TitleUnauthorized,
            Msg::DetailUnauthorized.text(locale).into(),
        )
    }

    pub fn not_found(locale: Locale) -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            locale,
            Msg::TitleNotFound,
            Msg::DetailNotFound.text(locale).into(),
        )
    }

    /// Maps a service error; `if_match` says whether the version came from an If-Match header.
    pub fn from_service(e: ServiceError, locale: Locale, if_match: bool) -> Problem {
        match e {
            ServiceError::NotFound => Problem::not_found(locale),
            ServiceError::Validation(errors) => Problem::validation(locale, &errors),
            ServiceError::Conflict { current } => {
                let status = if if_match {
                    StatusCode::PRECONDITION_FAILED
                } else {
                    StatusCode::CONFLICT
                };
                Problem::new(
                    status,
                    "version-conflict",
                    locale,
                    Msg::TitleConflict,
                    Msg::DetailVersionConflict.format(locale, &[("current", &current.to_string())]),
                )
            }
            ServiceError::PreconditionRequired => {
                let mut p = Problem::new(
                    StatusCode::PRECONDITION_REQUIRED,
                    "precondition-required",
                    locale,
                    Msg::TitlePreconditionRequired,
                    Msg::DetailPreconditionRequired.text(locale).into(),
                );
                p.errors.push((
                    "If-Match".into(),
                    "precondition_required".into(),
                    p.detail.clone(),
                ));
                p
            }
            ServiceError::Forbidden(msg) => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                locale,
                Msg::TitleForbidden,
                msg.text(locale).into(),
            ),
            ServiceError::MissingScope(scope) => Problem::new(
                StatusCode::FORBIDDEN,
                "missing-scope",
                locale,
                Msg::TitleForbidden,
                Msg::DetailMissingScope.format(locale, &[("scope", scope.name())]),
            ),
            ServiceError::SignInFailed => Problem::new(
                StatusCode::UNAUTHORIZED,
                "sign-in-failed",
                locale,
                Msg::TitleUnauthorized,
                Msg::SignInFailed.text(locale).into(),
            ),
            ServiceError::TooManyAttempts { retry_after } => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-attempts",
                    locale,
                    Msg::TitleTooManyRequests,
                    Msg::DetailTooManyAttempts.format(locale, &[("seconds", &retry_after.to_string())]),
                );
                p.retry_after = Some(retry_after);
                p
            }
            ServiceError::Csrf => Problem::new(
                StatusCode::FORBIDDEN,
                "csrf",
                locale,
                Msg::TitleForbidden,
                Msg::CsrfMissing.text(locale).into(),
            ),
            ServiceError::InRecycleBin => Problem::new(
                StatusCode::CONFLICT,
                "in-recycle-bin",
                locale,
                Msg::TitleConflict,
                Msg::DetailInRecycleBin.text(locale).into(),
            ),
            ServiceError::NotDeleted => Problem::new(
                StatusCode::CONFLICT,
                "not-deleted",
                locale,
                Msg::TitleConflict,
                Msg::DetailNotDeleted.text(locale).into(),
            ),
            ServiceError::TooMany { max } => {
                let mut p = Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-many-records",
                    locale,
                    Msg::TitlePayloadTooLarge,
                    Msg::DetailTooManyRecords.format(locale, &[("max", &max.to_string())]),
                );
                p.errors
                    .push(("records".into(), "too_many_records".into(), p.detail.clone()));
                p
            }
            ServiceError::Duplicate(matches) => {
                let mut p = Problem::new(
                    StatusCode::CONFLICT,
                    "duplicate",
                    locale,
                    Msg::TitleDuplicate,
                    Msg::DetailDuplicateBlocked.format(locale, &[("count", &matches.len().to_string())]),
                );
                let mut extra = serde_json::Map::new();
                extra.insert(
                    "duplicates".into(),
                    matches.iter().map(|m| m.json(locale)).collect(),
                );
                p.extra = Some(Box::new(extra));
                p
            }
            ServiceError::UndoRefused(msg, args) => {
                let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                Problem::new(
                    StatusCode::CONFLICT,
                    "merge-undo-refused",
                    locale,
                    Msg::TitleConflict,
                    msg.format(locale, &args),
                )
            }
            ServiceError::Gone(msg) => Problem::new(
                StatusCode::GONE,
                "gone",
                locale,
                Msg::TitleGone,
                msg.text(locale).into(),
            ),
            ServiceError::Storage(e) => Problem::internal(locale, &e),
            ServiceError::Internal(e) => Problem::internal(locale, &e),
        }
    }

    /// Logs the cause; the caller sees an opaque message.
    pub fn internal(locale: Locale, cause: &dyn std::fmt::Display) -> Problem {
        tracing::error!(error = %cause, "request failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            locale,
            Msg::TitleInternal,
            Msg::DetailInternal.text(locale).into(),
        )
    }

    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "type": format!("/problems/{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if !self.errors.is_empty() {
            body["errors"] = self
                .errors
                .iter()
                .map(|(field, code, detail)| json!({"field": field, "code": code, "detail": detail}))
                .collect();
        }
        for (k, v) in self.extra.iter().flat_map(|m| m.iter()) {
            body[k.as_str()] = v.clone();
        }
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.body().to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        res
    }
}
